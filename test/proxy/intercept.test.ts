import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectThrough, httpsViaProxy, tlsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { closedPort, startUpstream, type SeenRequest, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

let pki: ProxyPki;
let upstream: TestUpstream;
/** Asks for a client certificate but does not require one, as many public servers do. */
let openUpstream: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeProxyPki();
  upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  openUpstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem });
  const at = `127.0.0.1:${upstream.port}`;
  proxy = await startTestProxy(
    `upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "api.example.com:443": "${at}"
    "a.example.com:443": "${at}"
    "b.example.com:443": "${at}"
    "other.example.com:443": "${at}"
    "nocert.example.org:443": "${at}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}
${ruleYaml(pki, 'b.example.com', 'bob')}
${ruleYaml(pki, 'localhost', 'bob', `    port: ${upstream.port}\n`)}`,
  );
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  await openUpstream?.close();
});

function viaProxy(authority: string, extra: Partial<Parameters<typeof httpsViaProxy>[0]> = {}) {
  return httpsViaProxy({ proxyPort: proxy.port, authority, ca: proxy.proxy.context.ca.certPem, ...extra });
}

describe('an intercepted CONNECT', () => {
  it('presents the matching client certificate and logs it', async () => {
    const res = await viaProxy('api.example.com:443', { path: '/v1/things?token=secret' });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as SeenRequest;
    expect(seen.clientCert).toBe(pki.alice.fingerprint256);
    expect(seen.servername).toBe('api.example.com');
    expect(seen.headers.host).toBe('api.example.com');
    expect(seen.url).toBe('/v1/things?token=secret');
    // The client saw a leaf the proxy minted, not the real server's certificate.
    expect(res.peerCert?.issuer.O).toBe('mtls-proxy');
    expect(res.peerCert?.subjectaltname).toContain('DNS:api.example.com');

    const tls = await proxy.waitForLog('upstream tls', (l) => l.host === 'api.example.com');
    expect(tls).toMatchObject({ port: 443, rule: '*.example.com', authorized: true, protocol: 'http/1.1', tlsVersion: 'TLSv1.3' });
    expect((tls.clientCert as { fingerprint256: string }).fingerprint256).toBe(pki.alice.fingerprint256);
    expect((tls.serverCert as { fingerprint256: string }).fingerprint256).toBe(pki.server.fingerprint256);
    const request = await proxy.waitForLog('request', (l) => l.host === 'api.example.com');
    expect(request).toMatchObject({ method: 'GET', port: 443, path: '/v1/things', status: 200, clientCert: pki.alice.fingerprint256, rule: '*.example.com' });
    expect(JSON.stringify(proxy.lines)).not.toContain('secret');
    // Each field once: a child logger binding host/port would print them twice.
    for (const raw of proxy.rawLines.filter((r) => r.includes('"msg":"request"') || r.includes('"msg":"upstream tls"'))) {
      expect(raw.match(/"host":/g)).toHaveLength(1);
    }
  });

  it('prefers the exact rule over the wildcard', async () => {
    const res = await viaProxy('b.example.com:443');
    expect((JSON.parse(res.body) as SeenRequest).clientCert).toBe(pki.bob.fingerprint256);
  });

  it('honours an explicit port on a rule', async () => {
    const res = await httpsViaProxy({ proxyPort: proxy.port, authority: `localhost:${upstream.port}`, ca: proxy.proxy.context.ca.certPem });
    expect((JSON.parse(res.body) as SeenRequest).clientCert).toBe(pki.bob.fingerprint256);
  });

  it('answers 421 when the Host header names another host, and reaches no upstream', async () => {
    const before = upstream.seen.length;
    const res = await viaProxy('a.example.com:443', { headers: { host: 'b.example.com' } });
    expect(res.status).toBe(421);
    expect(upstream.seen.length).toBe(before);
  });

  it('answers 421 for an absolute-form target naming another host', async () => {
    const res = await viaProxy('a.example.com:443', { path: 'https://b.example.com/' });
    expect(res.status).toBe(421);
  });

  it('never reuses a socket or session made with one certificate for another', async () => {
    const hosts = ['a.example.com', 'b.example.com'];
    const expected: Record<string, string> = { 'a.example.com': pki.alice.fingerprint256, 'b.example.com': pki.bob.fingerprint256 };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => hosts[i % 2]!).map(async (host) => {
        const res = await viaProxy(`${host}:443`);
        return { host, got: (JSON.parse(res.body) as SeenRequest).clientCert };
      }),
    );
    for (const { host, got } of results) expect(got).toBe(expected[host]);
  });

  it('dials the upstream during the client handshake, before the first request, and uses that connection', async () => {
    const host = 'other.example.com';
    const client = await tlsViaProxy({ proxyPort: proxy.port, authority: `${host}:443`, ca: proxy.proxy.context.ca.certPem });
    await proxy.waitForLog('upstream tls', (l) => l.host === host);
    const seenBefore = upstream.seen.length;
    client.write(`GET /warm HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      client.on('data', (c: Buffer) => (text += c.toString()));
      client.on('end', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(upstream.seen.length).toBe(seenBefore + 1);
    expect(proxy.logs('upstream tls').filter((l) => l.host === host)).toHaveLength(1);
  });

  it('answers 400 for a CONNECT without a port', async () => {
    const res = await connectThrough(proxy.port, 'api.example.com');
    expect(res.status).toBe(400);
    res.socket.destroy();
  });
});

describe('a CONNECT with no rule', () => {
  it('is tunnelled: the client sees the real server certificate', async () => {
    const res = await httpsViaProxy({ proxyPort: proxy.port, authority: `127.0.0.1:${openUpstream.port}`, ca: pki.serverCa.certPem });
    expect(res.status).toBe(200);
    expect(res.peerCert?.fingerprint256).toBe(pki.server.fingerprint256);
    expect((JSON.parse(res.body) as SeenRequest).clientCert).toBeNull();
    const tunnel = await proxy.waitForLog('tunnel', (l) => l.port === openUpstream.port);
    expect(tunnel.host).toBe('127.0.0.1');
    expect(tunnel.bytesUp).toBeGreaterThan(0);
    expect(tunnel.bytesDown).toBeGreaterThan(0);
  });

  it('answers 502 with Proxy-Status when the host cannot be reached', async () => {
    const port = await closedPort();
    const res = await connectThrough(proxy.port, `127.0.0.1:${port}`);
    expect(res.status).toBe(502);
    expect(res.headers['proxy-status']).toBe('mtls-proxy; error=destination_unavailable; details="ECONNREFUSED"');
    expect(res.body).toContain(`127.0.0.1:${port}`);
  });
});

describe('the proxy itself', () => {
  it('serves its CA and a health check', async () => {
    const ca = await fetch(`http://127.0.0.1:${proxy.port}/ca.crt`);
    expect(await ca.text()).toBe(proxy.proxy.context.ca.certPem);
    const health = await fetch(`http://127.0.0.1:${proxy.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });
});
