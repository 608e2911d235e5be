/** A client that does not trust the proxy's CA yet: the log line says so in words, and what to do. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientRefusedCertificate } from '../../src/proxy/client-tls-error.js';
import { makeCa, writeFiles } from '../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { closedPort } from '../helpers/upstream.js';

let proxy: TestProxy;
let otherCa: string;

beforeAll(async () => {
  // intercept: all decrypts without a rule; the upstream is never reached, only the client's side matters.
  proxy = await startTestProxy(`intercept: all\nupstream:\n  resolve:\n    "api.example.com:443": "127.0.0.1:${await closedPort()}"\n`);
  otherCa = writeFiles(proxy.dir, { 'other-ca.pem': makeCa('Some Other CA').certPem })['other-ca.pem']!;
});

afterAll(() => proxy?.close());

describe('client tls error', () => {
  it('tells that the client does not trust the proxy\'s CA, naming the CA file, when curl refuses the minted leaf', async () => {
    // curl trusts another CA only, as before the user ran `mtls-proxy ca`.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: proxy.dir };
    const args = ['-sS', '--max-time', '20', '-x', `http://127.0.0.1:${proxy.port}`, '--cacert', otherCa, 'https://api.example.com/'];
    await expect(promisify(execFile)('/usr/bin/curl', args, { env })).rejects.toThrow(/certificate/);

    const line = await proxy.waitForLog('client tls error', (l) => l.host === 'api.example.com');
    expect(line).toMatchObject({
      level: 40,
      port: 443,
      code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      error: `the client does not trust the proxy's CA for this host (it answered with the TLS alert unknown_ca); make it trust ${proxy.proxy.context.ca.certPath} (mtls-proxy ca tells how)`,
    });
    expect(line.detail).toMatch(/alert unknown ca/);
  });
});

describe('clientRefusedCertificate', () => {
  it.each([
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'unknown_ca'],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'bad_certificate'],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', 'certificate_unknown'],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'certificate_expired'],
    // OpenSSL 3.5's names, as Node 24 reports them.
    ['ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_UNKNOWN', 'certificate_unknown'],
    ['ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE', 'bad_certificate'],
  ])('words %s', (code, alert) => {
    expect(clientRefusedCertificate(code, '/ca/ca.crt')).toBe(
      `the client does not trust the proxy's CA for this host (it answered with the TLS alert ${alert}); make it trust /ca/ca.crt (mtls-proxy ca tells how)`,
    );
  });

  it.each(['ECONNRESET', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', undefined])('leaves %s to the raw message', (code) => {
    expect(clientRefusedCertificate(code, '/ca/ca.crt')).toBeNull();
  });
});
