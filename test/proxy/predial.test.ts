import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectThrough, httpsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

/**
 * The upstream's TCP connection is dialled as a CONNECT is answered, so that a
 * never-seen host's ClientHello finds it open; it carries the route's TLS, or is
 * closed when the client sends no ClientHello.
 */

interface RawUpstream {
  readonly server: Server;
  readonly port: number;
  /** Every connection accepted, with what it sent and whether it has closed. */
  readonly accepted: Array<{ socket: Socket; bytes: Buffer[]; closed: Promise<void> }>;
}

/** Accepts TCP, records it, and serves plain bytes back as `echo:<bytes>` (for the non-TLS tunnel). */
async function startRawUpstream(): Promise<RawUpstream> {
  const accepted: RawUpstream['accepted'] = [];
  const server = createServer((socket) => {
    const bytes: Buffer[] = [];
    const closed = once(socket, 'close').then(() => {});
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      bytes.push(chunk);
      socket.end(`echo:${chunk.toString('latin1')}`);
    });
    accepted.push({ socket, bytes, closed });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, accepted };
}

let pki: ProxyPki;
let raw: RawUpstream;
let tlsUpstream: Server;
let tlsTcp = 0;
let tlsHandshakes = 0;
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeProxyPki();
  raw = await startRawUpstream();
  tlsUpstream = createTlsServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.clientCa.certPem, requestCert: true }, (socket) => {
    tlsHandshakes++;
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
  });
  tlsUpstream.on('connection', () => tlsTcp++);
  tlsUpstream.listen(0, '127.0.0.1');
  await once(tlsUpstream, 'listening');
  proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "raw.example.com:443": "127.0.0.1:${raw.port}"
    "plain.example.com:443": "127.0.0.1:${raw.port}"
    "tls.example.com:443": "127.0.0.1:${(tlsUpstream.address() as AddressInfo).port}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`);
});

afterAll(async () => {
  await proxy?.close();
  raw?.server.close();
  tlsUpstream?.close();
});

describe('the upstream connection dialled at CONNECT', () => {
  it('is open before the client sends its ClientHello, and closed when the client leaves without one', async () => {
    const { socket, status } = await connectThrough(proxy.port, 'raw.example.com:443');
    expect(status).toBe(200);
    await vi.waitUntil(() => raw.accepted.length === 1, { timeout: 4000 });
    const [predialled] = raw.accepted;
    socket.destroy();
    await predialled!.closed;
    expect(Buffer.concat(predialled!.bytes).length).toBe(0);
  });

  it('is closed unused when the client speaks plain bytes, which go through a tunnel of their own', async () => {
    const before = raw.accepted.length;
    const { socket } = await connectThrough(proxy.port, 'plain.example.com:443');
    await vi.waitUntil(() => raw.accepted.length === before + 1, { timeout: 4000 });
    socket.write('hello');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.once('close', () => resolve(text));
    });
    expect(answer).toBe('echo:hello');
    const [predialled, tunnelled] = raw.accepted.slice(before);
    await predialled!.closed;
    expect(Buffer.concat(predialled!.bytes).length).toBe(0);
    expect(Buffer.concat(tunnelled!.bytes).toString()).toBe('hello');
  });

  it("carries the route's TLS: a never-seen host's first request costs the server one TCP connection and one handshake", async () => {
    const response = await httpsViaProxy({ proxyPort: proxy.port, authority: 'tls.example.com:443', ca: proxy.proxy.context.ca.certPem, path: '/' });
    expect(response.status).toBe(200);
    expect(response.body).toBe('ok');
    expect(tlsHandshakes).toBe(1);
    expect(tlsTcp).toBe(1);
    const line = await proxy.waitForLog('upstream tls', (l) => l.host === 'tls.example.com');
    expect(line).toMatchObject({ protocol: 'http/1.1', reused: false, serverCert: { subject: expect.stringContaining('CN=') } });
  });
});
