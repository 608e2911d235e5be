import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminGet, parseMetrics } from '../helpers/admin.js';
import { connectThrough, httpsViaProxy, readRawResponse, tlsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from '../proxy/fixtures.js';

let pki: ProxyPki;
let upstream: TestUpstream;
let proxy: TestProxy;
let refused: number;

beforeAll(async () => {
  pki = makeProxyPki();
  upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  refused = await closedPort();
  // wrong.example.org is not in the upstream's certificate: its handshake fails verification.
  proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "api.example.com:443": "127.0.0.1:${upstream.port}"
    "wrong.example.org:443": "127.0.0.1:${upstream.port}"
    "down.example.com:443": "127.0.0.1:${refused}"
clientCertificates:
${ruleYaml(pki, 'api.example.com', 'alice')}${ruleYaml(pki, '*.example.org', 'bob')}${ruleYaml(pki, 'down.example.com', 'bob')}`);
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

async function scrape(): Promise<Map<string, number>> {
  const res = await adminGet(proxy.port, '/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(res.body);
}

/** Scrapes until `done` holds: sockets close a moment after their peers go. Bounded at 100 tries. */
async function scrapeUntil(done: (samples: Map<string, number>) => boolean): Promise<Map<string, number>> {
  let samples = await scrape();
  for (let i = 0; i < 100 && !done(samples); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    samples = await scrape();
  }
  return samples;
}

const via = (authority: string, path = '/'): ReturnType<typeof httpsViaProxy> =>
  httpsViaProxy({ proxyPort: proxy.port, authority, path, ca: proxy.proxy.context.ca.certPem });

describe('GET /metrics', () => {
  it('counts requests by rule and status, with their durations, and the upstream handshakes', async () => {
    for (let i = 0; i < 3; i++) expect((await via('api.example.com:443', `/n${i}?token=secret`)).status).toBe(200);
    const samples = await scrape();
    expect(samples.get('mtls_proxy_requests_total{rule="api.example.com",code="200"}')).toBe(3);
    expect(samples.get('mtls_proxy_request_duration_seconds_count')).toBe(3);
    expect(samples.get('mtls_proxy_request_duration_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(samples.get('mtls_proxy_upstream_handshakes_total{rule="api.example.com",result="success"}')).toBeGreaterThanOrEqual(1);
  });

  it('counts an upstream failure by its Proxy-Status type on each path: request, upgrade, tunnel', async () => {
    const wrong = await via('wrong.example.org:443');
    expect(wrong.status).toBe(502);
    expect(wrong.headers['proxy-status']).toContain('error=tls_certificate_error');
    const down = await via('down.example.com:443');
    expect(down.headers['proxy-status']).toContain('error=destination_unavailable');
    // A WebSocket upgrade inside an intercepted connection.
    const tls = await tlsViaProxy({ proxyPort: proxy.port, authority: 'down.example.com:443', ca: proxy.proxy.context.ca.certPem });
    const upgrade = readRawResponse(tls);
    tls.write('GET / HTTP/1.1\r\nHost: down.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: eHl6eHl6eHl6eHl6eHl6eA==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect((await upgrade).status).toBe(502);
    tls.destroy();
    // A tunnelled CONNECT (no rule) to a closed port.
    const tunnel = await connectThrough(proxy.port, `127.0.0.1:${refused}`);
    tunnel.socket.destroy();
    expect(tunnel.status).toBe(502);
    const samples = await scrape();
    expect(samples.get('mtls_proxy_upstream_errors_total{type="tls_certificate_error"}')).toBe(1);
    expect(samples.get('mtls_proxy_upstream_errors_total{type="destination_unavailable"}')).toBe(3);
    // Each attempt counts; one request may make several (the dial during the client's handshake, its retry).
    expect(samples.get('mtls_proxy_upstream_handshakes_total{rule="*.example.org",result="failure"}')).toBeGreaterThanOrEqual(1);
    expect(samples.has('mtls_proxy_upstream_handshakes_total{rule="*.example.org",result="success"}')).toBe(false);
    expect(samples.get('mtls_proxy_requests_total{rule="*.example.org",code="502"}')).toBe(1);
    expect(samples.get('mtls_proxy_requests_total{rule="down.example.com",code="502"}')).toBe(2);
  });

  it('counts a plain http:// request under rule none', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, path: `http://127.0.0.1:${refused}/x`, headers: { host: `127.0.0.1:${refused}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(502);
    expect((await scrape()).get('mtls_proxy_requests_total{rule="none",code="502"}')).toBe(1);
  });

  it('shows open connections on each side, back to none once the peers close', async () => {
    const client = await connectThrough(proxy.port, `127.0.0.1:${upstream.port}`);
    expect(client.status).toBe(200);
    // The scrape's own connection is the one other client connection.
    const open = await scrapeUntil((s) => s.get('mtls_proxy_open_connections{side="client"}') === 2);
    expect(open.get('mtls_proxy_open_connections{side="client"}')).toBe(2);
    expect(open.get('mtls_proxy_open_connections{side="upstream"}')).toBeGreaterThanOrEqual(1);
    client.socket.destroy();
    // Pooled upstream connections end when the upstream closes them.
    upstream.server.closeAllConnections();
    const closed = await scrapeUntil(
      (s) => s.get('mtls_proxy_open_connections{side="client"}') === 1 && s.get('mtls_proxy_open_connections{side="upstream"}') === 0,
    );
    expect(closed.get('mtls_proxy_open_connections{side="client"}')).toBe(1);
    expect(closed.get('mtls_proxy_open_connections{side="upstream"}')).toBe(0);
  });

  it("gives each rule's client certificate its seconds to expiry, computed when scraped", async () => {
    const samples = await scrape();
    for (const [rule, who] of [['api.example.com', pki.alice], ['*.example.org', pki.bob]] as const) {
      const seconds = samples.get(`mtls_proxy_client_certificate_expiry_seconds{rule="${rule}",fingerprint256="${who.fingerprint256}"}`);
      const expected = (Date.parse(who.cert.validTo) - Date.now()) / 1000;
      expect(Math.abs(seconds! - expected)).toBeLessThan(60);
    }
  });

  it("includes prom-client's default process metrics and no requested host name in any label", async () => {
    const res = await adminGet(proxy.port, '/metrics');
    expect(res.body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(res.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    for (const host of ['wrong.example.org', '127.0.0.1', 'secret', '/n0']) expect(res.body).not.toContain(host);
  });
});
