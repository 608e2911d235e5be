import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestProxy } from '../helpers/test-proxy.js';
import type { SeenRequest } from '../helpers/upstream.js';
import { startOneUpstream, type OneUpstream, type ProxyPki } from './fixtures.js';

/** curl as the client, exactly as a user runs it against the proxy. */

const CURL = '/usr/bin/curl';

let pki: ProxyPki;
let proxy: TestProxy;
let setup: OneUpstream | undefined;

beforeAll(async () => {
  setup = await startOneUpstream('*.example.com');
  ({ pki, proxy } = setup);
});

afterAll(() => setup?.close());

function curl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  // No proxy from the environment: only the one on the command line.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: proxy.dir };
  return promisify(execFile)(CURL, ['-sS', '--max-time', '20', ...args], { env });
}

describe('curl through the proxy', () => {
  it('reaches an mTLS upstream with the rule certificate, trusting only the proxy CA', async () => {
    const caCert = proxy.proxy.context.ca.certPath;
    const { stdout } = await curl('-x', `http://127.0.0.1:${proxy.port}`, '--cacert', caCert, 'https://api.example.com/v1/me?x=1');
    const seen = JSON.parse(stdout) as SeenRequest;
    expect(seen.clientCert).toBe(pki.alice.fingerprint256);
    expect(seen.servername).toBe('api.example.com');
    expect(seen.headers.host).toBe('api.example.com');
    expect(seen.headers['user-agent']).toMatch(/^curl\//);
    expect(seen.url).toBe('/v1/me?x=1');

    const tls = await proxy.waitForLog('upstream tls', (l) => l.host === 'api.example.com');
    expect(tls).toMatchObject({ port: 443, rule: '*.example.com', authorized: true });
    expect((tls.clientCert as { fingerprint256: string }).fingerprint256).toBe(pki.alice.fingerprint256);
    const request = await proxy.waitForLog('request', (l) => l.host === 'api.example.com');
    expect(request).toMatchObject({ method: 'GET', path: '/v1/me', status: 200, clientCert: pki.alice.fingerprint256 });
  });

  it('fails its own TLS check without the proxy CA, so the leaf really comes from the proxy', async () => {
    const failed = await curl('-x', `http://127.0.0.1:${proxy.port}`, '--cacert', pki.files['server-ca.pem']!, 'https://api.example.com/').then(
      () => null,
      (err: { code?: number; stderr?: string }) => err,
    );
    // 60: CURLE_PEER_FAILED_VERIFICATION.
    expect(failed?.code).toBe(60);
  });
});
