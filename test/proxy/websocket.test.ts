import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRawResponse, tlsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

/** A WebSocket handshake over an intercepted connection, then raw bytes both ways. */

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 §4.2.2: base64(SHA-1(key + GUID)). */
function acceptFor(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

let pki: ProxyPki;
let upstream: TestUpstream;
let proxy: TestProxy;
const upgrades: Array<{ url: string; headers: IncomingMessage['headers']; clientCert: string | null }> = [];

beforeAll(async () => {
  pki = makeProxyPki();
  upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  upstream.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const key = req.headers['sec-websocket-key'] ?? '';
    if (req.url === '/forbidden') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 22\r\nX-Reason: no-access\r\n\r\nnot for this cert, no\n');
      return;
    }
    upgrades.push({ url: req.url ?? '', headers: req.headers, clientCert: (socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? null });
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${acceptFor(key)}`,
        'Sec-WebSocket-Protocol: chat.v2',
        'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover',
        '',
        '',
      ].join('\r\n'),
    );
    // An echo server: whatever comes (frames or not) goes straight back.
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  const gonePort = await closedPort();
  proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "ws.example.com:443": "127.0.0.1:${upstream.port}"
    "gone.example.com:443": "127.0.0.1:${gonePort}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`);
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

/** Resolves with the next `length` bytes the stream gives. */
function readBytes(stream: Duplex, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= length) {
        stream.off('data', onData);
        stream.off('close', onClose);
        resolve(Buffer.concat(chunks));
      }
    };
    const onClose = (): void => reject(new Error(`closed after ${got} of ${length} bytes`));
    stream.on('data', onData);
    stream.once('close', onClose);
  });
}

describe('a WebSocket upgrade through an intercepted connection', () => {
  it('passes the handshake headers both ways, lends the certificate, then relays bytes', async () => {
    const tls = await tlsViaProxy({ proxyPort: proxy.port, authority: 'ws.example.com:443', ca: proxy.proxy.context.ca.certPem });
    const key = Buffer.from('sixteen byte key').toString('base64');
    const response = readRawResponse(tls, { noBody: true });
    tls.write(
      [
        'GET /chat?room=1 HTTP/1.1',
        'Host: ws.example.com',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`,
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Protocol: chat.v1, chat.v2',
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
        'Origin: https://ws.example.com',
        '',
        '',
      ].join('\r\n'),
    );
    const res = await response;
    expect(res.status).toBe(101);
    expect(res.headers.upgrade?.toLowerCase()).toBe('websocket');
    expect(res.headers.connection?.toLowerCase()).toBe('upgrade');
    expect(res.headers['sec-websocket-accept']).toBe(acceptFor(key));
    expect(res.headers['sec-websocket-protocol']).toBe('chat.v2');
    expect(res.headers['sec-websocket-extensions']).toBe('permessage-deflate; server_no_context_takeover');

    const seen = upgrades.at(-1)!;
    expect(seen.clientCert).toBe(pki.alice.fingerprint256);
    expect(seen.url).toBe('/chat?room=1');
    expect(seen.headers).toMatchObject({
      host: 'ws.example.com',
      'sec-websocket-key': key,
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'chat.v1, chat.v2',
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
      origin: 'https://ws.example.com',
    });
    expect(seen.headers.upgrade?.toLowerCase()).toBe('websocket');

    // Binary bytes, in several writes, come back unchanged.
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    expect(res.rest).toHaveLength(0);
    const echoed = readBytes(tls, payload.length);
    tls.write(payload.subarray(0, 10));
    tls.write(payload.subarray(10));
    expect((await echoed).equals(payload)).toBe(true);

    const line = await proxy.waitForLog('request', (l) => l.host === 'ws.example.com');
    expect(line).toMatchObject({ method: 'GET', status: 101, path: '/chat', clientCert: pki.alice.fingerprint256, rule: '*.example.com' });

    const closed = new Promise((resolve) => tls.once('close', resolve));
    tls.end();
    await closed;
  });

  it('relays bytes the client sent right behind its request', async () => {
    const tls = await tlsViaProxy({ proxyPort: proxy.port, authority: 'ws.example.com:443', ca: proxy.proxy.context.ca.certPem });
    const key = Buffer.from('another 16B key!').toString('base64');
    const early = Buffer.from('early bytes');
    const response = readRawResponse(tls, { noBody: true });
    tls.write(Buffer.concat([Buffer.from(`GET /early HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`), early]));
    const res = await response;
    expect(res.status).toBe(101);
    const echoed = res.rest.length >= early.length ? res.rest : Buffer.concat([res.rest, await readBytes(tls, early.length - res.rest.length)]);
    expect(echoed.toString()).toBe('early bytes');
    tls.destroy();
  });

  it("passes on the upstream's answer when it refuses the upgrade", async () => {
    const tls = await tlsViaProxy({ proxyPort: proxy.port, authority: 'ws.example.com:443', ca: proxy.proxy.context.ca.certPem });
    const response = readRawResponse(tls);
    tls.write('GET /forbidden HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: eHl6eHl6eHl6eHl6eHl6eA==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const res = await response;
    expect(res.status).toBe(403);
    expect(res.headers['x-reason']).toBe('no-access');
    expect(res.body.toString()).toBe('not for this cert, no\n');
    tls.destroy();
    const line = await proxy.waitForLog('request', (l) => l.path === '/forbidden');
    expect(line).toMatchObject({ status: 403, clientCert: pki.alice.fingerprint256 });
  });

  it('answers 502 with Proxy-Status when the upstream cannot be reached', async () => {
    const tls = await tlsViaProxy({ proxyPort: proxy.port, authority: 'gone.example.com:443', ca: proxy.proxy.context.ca.certPem });
    const response = readRawResponse(tls);
    tls.write('GET / HTTP/1.1\r\nHost: gone.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: eHl6eHl6eHl6eHl6eHl6eA==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const res = await response;
    tls.destroy();
    expect(res.status).toBe(502);
    expect(res.headers['proxy-status']).toBe('mtls-proxy; error=destination_unavailable; details="ECONNREFUSED"');
  });
});
