import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeenRequest } from '../helpers/upstream.js';
import { startOneUpstream, type OneUpstream } from '../proxy/fixtures.js';

/**
 * Java 17's java.net.http.HttpClient (the README's Java lines cover
 * HttpsURLConnection): HttpClientProbe.java run as a single-file program, with
 * ProxySelector.of the proxy and an SSLContext over a keytool truststore.
 */

const run = promisify(execFile);
const PROBE = fileURLToPath(new URL('./HttpClientProbe.java', import.meta.url));
const PASSWORD = 'changeit';

let one: OneUpstream;
let dir: string;

beforeAll(async () => {
  one = await startOneUpstream('api.example.com');
  dir = mkdtempSync(join(tmpdir(), 'mtls-proxy-java-'));
});

afterAll(async () => {
  await one?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A PKCS#12 truststore holding only `caFile`, made by keytool as the README says. */
async function truststore(name: string, caFile: string): Promise<string> {
  const store = join(dir, `${name}.p12`);
  await run('keytool', ['-importcert', '-noprompt', '-alias', name, '-file', caFile, '-keystore', store, '-storetype', 'PKCS12', '-storepass', PASSWORD], { timeout: 30_000 });
  return store;
}

function probe(store: string, url: string): Promise<{ stdout: string; stderr: string }> {
  // No proxy or trust settings from the environment: only what the program sets.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  return run('java', [PROBE, String(one.proxy.port), store, PASSWORD, url], { env, timeout: 60_000 });
}

describe('Java HttpClient through the proxy', () => {
  it("reaches the mTLS upstream with the rule's certificate, trusting the proxy's CA from a keytool truststore", async () => {
    const store = await truststore('mtls-proxy', one.proxy.proxy.context.ca.certPath);
    const { stdout } = await probe(store, 'https://api.example.com/java/httpclient?q=1');
    const [status = '', body = ''] = stdout.split('\n');
    // HttpClient offers h2 by ALPN and the proxy takes it; the upstream here speaks HTTP/1.1.
    expect(status).toBe('HTTP_2 200');
    const seen = JSON.parse(body) as SeenRequest;
    expect(seen).toMatchObject({ url: '/java/httpclient?q=1', clientCert: one.pki.alice.fingerprint256, servername: 'api.example.com' });
    expect(seen.headers['user-agent']).toMatch(/^Java-http-client\//);
    const line = await one.proxy.waitForLog('request', (l) => l.path === '/java/httpclient');
    expect(line).toMatchObject({ host: 'api.example.com', status: 200, clientCert: one.pki.alice.fingerprint256, protocol: 'h2' });
  }, 90_000);

  it("fails its own TLS check when the truststore lacks the proxy's CA, and nothing reaches the upstream", async () => {
    const store = await truststore('server-ca', one.pki.files['server-ca.pem']!);
    const failed = await probe(store, 'https://api.example.com/java/untrusted').then(
      () => null,
      (err: { stderr?: string }) => err,
    );
    expect(failed?.stderr).toMatch(/SSLHandshakeException: PKIX path building failed/);
    // HttpClient hangs up without a TLS alert, so the proxy has no `client tls error` to log (see README, Troubleshooting).
    expect(one.upstream.seen.some((s) => s.url === '/java/untrusted')).toBe(false);
  }, 90_000);
});
