import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestProxy } from '../helpers/test-proxy.js';
import type { SeenRequest } from '../helpers/upstream.js';
import type { ProxyPki } from '../proxy/fixtures.js';
import { startH2Setup, type H2Setup } from './fixtures.js';

/** curl --http2 as the client: h2 to the proxy, h2 (or HTTP/1.1) from the proxy to the server. */

const CURL = '/usr/bin/curl';

let pki: ProxyPki;
let proxy: TestProxy;
let setup: H2Setup | undefined;

beforeAll(async () => {
  setup = await startH2Setup();
  ({ pki, proxy } = setup);
});

afterAll(() => setup?.close());

function curl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: proxy.dir };
  const caCert = proxy.proxy.context.ca.certPath;
  return promisify(execFile)(CURL, ['-sS', '--max-time', '20', '--http2', '-x', `http://127.0.0.1:${proxy.port}`, '--cacert', caCert, ...args], { env });
}

describe('curl --http2 through the proxy', () => {
  it('speaks h2 on both sides, presenting the rule certificate to an h2 server', async () => {
    const { stdout } = await curl('-w', '\\n%{http_version}', 'https://api.example.com/v1/me?token=secret');
    const [body, version] = stdout.split('\n');
    expect(version).toBe('2');
    expect(JSON.parse(body!)).toEqual({ clientCert: pki.alice.fingerprint256, path: '/v1/me?token=secret', authority: 'api.example.com' });

    const tls = await proxy.waitForLog('upstream tls', (l) => l.host === 'api.example.com');
    expect(tls).toMatchObject({ rule: '*.example.com', authorized: true, protocol: 'h2' });
    const request = await proxy.waitForLog('request', (l) => l.host === 'api.example.com');
    expect(request).toMatchObject({ method: 'GET', path: '/v1/me', status: 200, clientCert: pki.alice.fingerprint256, protocol: 'h2', upstreamProtocol: 'h2' });
  });

  it('translates to HTTP/1.1 for a server that does not offer h2', async () => {
    const { stdout } = await curl('-w', '\\n%{http_version}', '-H', 'x-extra: 1', 'https://a.example.com/plain?q=1');
    const [body, version] = stdout.split('\n');
    expect(version).toBe('2');
    const seen = JSON.parse(body!) as SeenRequest;
    expect(seen).toMatchObject({ method: 'GET', url: '/plain?q=1', clientCert: pki.alice.fingerprint256 });
    expect(seen.headers).toMatchObject({ host: 'a.example.com', 'x-extra': '1' });
    expect(Object.keys(seen.headers).some((name) => name.startsWith(':'))).toBe(false);
    const request = await proxy.waitForLog('request', (l) => l.host === 'a.example.com');
    expect(request).toMatchObject({ status: 200, protocol: 'h2', upstreamProtocol: 'http/1.1' });
  });

  it('answers 431 to a header section over 16 KiB, as over HTTP/1.1', async () => {
    const { stdout } = await curl('-w', '\\n%{http_code}', '-H', `x-big: ${'x'.repeat(20 * 1024)}`, 'https://api.example.com/');
    expect(stdout.trim().split('\n').pop()).toBe('431');
  });

  it('answers 421 when :authority names another host than the CONNECT', async () => {
    const { stdout } = await curl('-w', '\\n%{http_code}', '-H', 'host: other.example.com', 'https://api.example.com/');
    expect(stdout.trim().split('\n').pop()).toBe('421');
  });
});
