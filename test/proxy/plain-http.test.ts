import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closedPort } from '../helpers/upstream.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { makeProxyPki, ruleYaml } from './fixtures.js';

/** Absolute-form http:// requests: forwarded as they are, never with a certificate. */

let upstream: Server;
let upstreamPort: number;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; rawHeaders: string[]; body: string }> = [];
let proxy: TestProxy;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
      res.writeHead(201, { 'content-type': 'text/plain', 'x-upstream': 'yes', connection: 'x-upstream-hop', 'x-upstream-hop': '1' });
      res.end(`plain ${req.url}`);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
  // A rule for this very host and any port: a plain request must still go without a certificate.
  const pki = makeProxyPki();
  proxy = await startTestProxy(`clientCertificates:\n${ruleYaml(pki, '127.0.0.1', 'alice', '    port: "*"\n')}`);
});

afterAll(async () => {
  await proxy?.close();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

function send(path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxy.port, method: body === undefined ? 'GET' : 'POST', path, headers, setHost: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

describe('a plain http:// request through the proxy', () => {
  it('is forwarded with its end-to-end headers and the hop-by-hop ones stripped', async () => {
    const authority = `127.0.0.1:${upstreamPort}`;
    const res = await send(
      `http://${authority}/x?q=secret-query`,
      {
        host: authority,
        connection: 'close, X-Hop',
        'x-hop': '1',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic dXNlcjpwYXNz',
        'x-end-to-end': 'kept',
        accept: 'text/plain',
        'content-type': 'application/json',
      },
      '{"hello":"world"}',
    );
    expect(res.status).toBe(201);
    expect(res.body).toBe('plain /x?q=secret-query');
    expect(res.headers['x-upstream']).toBe('yes');
    // The upstream's own hop-by-hop field does not come back either.
    expect(res.headers['x-upstream-hop']).toBeUndefined();

    const got = seen.at(-1)!;
    expect(got).toMatchObject({ method: 'POST', url: '/x?q=secret-query', body: '{"hello":"world"}' });
    expect(got.headers.host).toBe(authority);
    expect(got.headers['x-end-to-end']).toBe('kept');
    expect(got.headers.accept).toBe('text/plain');
    expect(got.headers['content-type']).toBe('application/json');
    for (const name of ['x-hop', 'keep-alive', 'proxy-authorization']) expect(got.headers).not.toHaveProperty(name);
    expect(got.headers.connection ?? '').not.toMatch(/close|x-hop/i);
    expect(got.rawHeaders.filter((_, i) => i % 2 === 0 && /^host$/i.test(got.rawHeaders[i]!))).toHaveLength(1);

    const line = await proxy.waitForLog('request', (l) => l.port === upstreamPort);
    expect(line).toMatchObject({ method: 'POST', host: '127.0.0.1', port: upstreamPort, path: '/x', status: 201, clientCert: null, rule: null });
    expect(typeof line.id).toBe('string');
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
    expect(proxy.logs('upstream tls')).toHaveLength(0);
    const logged = JSON.stringify(proxy.lines);
    expect(logged).not.toContain('secret-query');
    expect(logged).not.toContain('dXNlcjpwYXNz');
  });

  it("sends the target's authority as Host, not a different Host the client sent (RFC 9112 §3.2.2)", async () => {
    const res = await send(`http://127.0.0.1:${upstreamPort}/y`, { host: 'elsewhere.example' });
    expect(res.status).toBe(201);
    expect(seen.at(-1)!.headers.host).toBe(`127.0.0.1:${upstreamPort}`);
  });

  it('answers 502 with Proxy-Status when the upstream cannot be reached', async () => {
    const port = await closedPort();
    const res = await send(`http://127.0.0.1:${port}/`, { host: `127.0.0.1:${port}` });
    expect(res.status).toBe(502);
    expect(res.headers['proxy-status']).toBe('mtls-proxy; error=destination_unavailable; details="ECONNREFUSED"');
    expect(res.body).toContain(`127.0.0.1:${port}`);
    const line = await proxy.waitForLog('request', (l) => l.port === port);
    expect(line).toMatchObject({ status: 502, clientCert: null });
  });
});
