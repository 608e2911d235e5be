import { connect as http2Connect, type IncomingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCountingUpstream, type CountingUpstream } from '../helpers/counting-upstream.js';
import { startH2Upstream, type TestH2Upstream } from '../helpers/h2-upstream.js';
import { connectThrough, tlsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from '../proxy/fixtures.js';

/**
 * The upstream connection dialled during a client's handshake is of the protocol
 * the client offers: an h2 client costs the server one handshake, not an unused
 * HTTP/1.1 one besides, and an HTTP/1.1 client still finds its connection ready.
 */

let pki: ProxyPki;
let upstream: TestH2Upstream;
let http1Only: CountingUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeProxyPki();
  // As most servers do: h2 and http/1.1 by ALPN.
  upstream = await startH2Upstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem, allowHTTP1: true });
  http1Only = await startCountingUpstream({ tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem } });
  proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "h2.example.com:443": "127.0.0.1:${upstream.port}"
    "h1.example.com:443": "127.0.0.1:${upstream.port}"
    "split.example.com:443": "127.0.0.1:${upstream.port}"
    "h1-only.example.com:443": "127.0.0.1:${http1Only.port}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`);
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  await http1Only?.close();
});

function clientTls(host: string, alpn: string[]) {
  return tlsViaProxy({ proxyPort: proxy.port, authority: `${host}:443`, ca: proxy.proxy.context.ca.certPem, alpn });
}

/**
 * The tunnel's socket, except that the first write (the ClientHello) goes out as two
 * TCP segments 50 ms apart, as a large hello crosses a real network.
 */
function splittingFirstWrite(socket: Socket): Duplex {
  let first = true;
  const duplex = new Duplex({
    read: () => void socket.resume(),
    write(chunk: Buffer, _encoding, callback) {
      if (!first) return socket.write(chunk, callback);
      first = false;
      socket.write(chunk.subarray(0, 60));
      setTimeout(() => socket.write(chunk.subarray(60), callback), 50);
    },
    final: (callback) => socket.end(callback),
    destroy: (err, callback) => {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => duplex.push(chunk) || socket.pause());
  socket.once('end', () => duplex.push(null));
  return duplex;
}

async function splitHelloTls(host: string, alpn: string[]): Promise<TLSSocket> {
  const { socket } = await connectThrough(proxy.port, `${host}:443`);
  socket.setNoDelay(true);
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({ socket: splittingFirstWrite(socket), ca: proxy.proxy.context.ca.certPem, servername: host, ALPNProtocols: alpn }, () => resolve(tls));
    tls.once('error', reject);
  });
}

/** One GET over a new h2 client connection through the proxy: its status. */
async function h2Get(host: string, open = clientTls): Promise<number> {
  const tls = await open(host, ['h2', 'http/1.1']);
  const session = http2Connect(`https://${host}`, { createConnection: () => tls });
  session.on('error', () => {});
  const req = session.request({ ':path': '/first' });
  req.end();
  req.resume();
  const head = await new Promise<IncomingHttpHeaders>((resolve) => req.once('response', resolve));
  await new Promise((resolve) => req.once('close', resolve));
  session.close();
  return Number(head[':status']);
}

describe('the upstream connection dialled during the client handshake', () => {
  it('is the h2 session for a client that offers h2: one handshake with the server in all', async () => {
    const before = { tls: upstream.connections, tcp: upstream.tcpConnections };
    expect(await h2Get('h2.example.com')).toBe(200);
    expect(upstream.connections - before.tls).toBe(1);
    expect(upstream.tcpConnections - before.tcp).toBe(1);
    const lines = proxy.logs('upstream tls').filter((l) => l.host === 'h2.example.com');
    expect(lines.map((l) => l.protocol)).toEqual(['h2']);
  });

  it('is the h2 session too when the ClientHello arrives in two TCP segments: its ALPN offer is read whole', async () => {
    const before = { tls: upstream.connections, tcp: upstream.tcpConnections };
    expect(await h2Get('split.example.com', splitHelloTls)).toBe(200);
    expect(upstream.tcpConnections - before.tcp).toBe(1);
    expect(upstream.connections - before.tls).toBe(1);
    const lines = proxy.logs('upstream tls').filter((l) => l.host === 'split.example.com');
    expect(lines.map((l) => l.protocol)).toEqual(['h2']);
  });

  it('is an HTTP/1.1 connection for a client that offers only http/1.1, ready before its first request and used by it', async () => {
    const tls = await clientTls('h1.example.com', ['http/1.1']);
    await proxy.waitForLog('upstream tls', (l) => l.host === 'h1.example.com');
    tls.write('GET /first HTTP/1.1\r\nHost: h1.example.com\r\nConnection: close\r\n\r\n');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      tls.on('data', (chunk: Buffer) => (text += chunk.toString()));
      tls.once('end', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200[^]*\r\n\r\nh1$/);
    const lines = proxy.logs('upstream tls').filter((l) => l.host === 'h1.example.com');
    expect(lines.map((l) => l.protocol)).toEqual(['http/1.1']);
  });

  it('serves the request of an h2 client when the server answers the h2 offer with http/1.1: one handshake in all', async () => {
    expect(await h2Get('h1-only.example.com')).toBe(200);
    expect(http1Only.requests.map((r) => r.url)).toEqual(['/first']);
    const request = await proxy.waitForLog('request', (l) => l.host === 'h1-only.example.com');
    expect(request).toMatchObject({ status: 200, protocol: 'h2', upstreamProtocol: 'http/1.1' });
    // Counted on the proxy's side: a connection closed at once may never finish the server's.
    const lines = proxy.logs('upstream tls').filter((l) => l.host === 'h1-only.example.com');
    expect(lines.map((l) => l.protocol)).toEqual(['http/1.1']);
    expect(http1Only.counts.connections).toBe(1);
  });
});
