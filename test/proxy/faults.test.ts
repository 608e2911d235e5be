import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestViaProxy, responseOf, tlsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

/**
 * Faults on either side, on each path: plain HTTP (absolute-form) and inside a
 * CONNECT tunnel. A fault on one side is always passed on to the other: an upload
 * cut short is aborted upstream, a response cut short is broken off for the client.
 */

/** What the upstreams saw, by path: resolved once the outcome is known. */
const outcomes = new Map<string, { promise: Promise<string>; resolve: (outcome: string) => void }>();
function outcome(path: string): { promise: Promise<string>; resolve: (outcome: string) => void } {
  let entry = outcomes.get(path);
  if (!entry) {
    let resolve!: (outcome: string) => void;
    const promise = new Promise<string>((r) => (resolve = r));
    entry = { promise, resolve };
    outcomes.set(path, entry);
  }
  return entry;
}

/** The same handler behind the plain and the TLS upstream. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '';
  if (path.startsWith('/upload')) {
    req.once('data', () => outcome(`${path}:started`).resolve('started'));
    req.once('close', () => outcome(path).resolve(req.complete ? 'end' : 'aborted'));
    req.resume();
    return;
  }
  if (path.startsWith('/reset-length')) {
    res.writeHead(200, { 'content-length': '100000' });
    res.write(Buffer.alloc(1000, 1), () => req.socket.destroy());
    return;
  }
  if (path.startsWith('/reset-chunked')) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write(Buffer.alloc(1000, 1), () => req.socket.destroy());
    return;
  }
  res.end('ok');
}

/** An upgrade the upstream never answers: it notes when it came and when its socket closed. */
const upgraded = new Set<Duplex>();
function holdUpgrade(req: IncomingMessage, socket: Duplex): void {
  const path = req.url ?? '';
  upgraded.add(socket);
  outcome(`${path}:started`).resolve('started');
  // The server's sockets are half-open ones: the proxy's side closing shows as 'end'.
  socket.once('end', () => outcome(path).resolve('closed'));
  socket.once('close', () => outcome(path).resolve('closed'));
  socket.on('error', () => {});
  socket.resume();
}

let pki: ProxyPki;
let plain: Server;
let secure: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeProxyPki();
  plain = createHttpServer(handle);
  plain.on('upgrade', holdUpgrade);
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  secure = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem, handler: handle });
  secure.server.on('upgrade', holdUpgrade);
  proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "plain.example.net:80": "127.0.0.1:${(plain.address() as AddressInfo).port}"
    "api.example.com:443": "127.0.0.1:${secure.port}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`);
});

afterAll(async () => {
  await proxy?.close();
  for (const socket of upgraded) socket.destroy();
  plain?.closeAllConnections();
  await new Promise((resolve) => plain?.close(resolve));
  await secure?.close();
});

/** A plain-HTTP request through the proxy in absolute form, not yet ended. */
function plainRequest(path: string, method = 'GET', headers: Record<string, string> = {}) {
  const req = httpRequest({ host: '127.0.0.1', port: proxy.port, method, path: `http://plain.example.net${path}`, headers: { host: 'plain.example.net', ...headers } });
  req.on('error', () => {});
  return req;
}

function tunnelRequest(path: string, method = 'GET', headers: Record<string, string> = {}) {
  return requestViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem, method, path, headers });
}

/** How a response body ended: a clean end with its byte count, or broken off. */
function bodyOutcome(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let received = 0;
    res.on('data', (c: Buffer) => (received += c.length));
    res.once('end', () => resolve(`clean end after ${received} bytes`));
    res.once('aborted', () => resolve('broken off'));
    res.once('error', () => resolve('broken off'));
  });
}

describe('a client that leaves mid-upload', () => {
  it('over plain HTTP has the upload aborted upstream, never ended as if complete', async () => {
    const req = plainRequest('/upload-plain', 'POST', { 'content-length': String(1024 * 1024) });
    req.write(Buffer.alloc(64 * 1024, 3));
    await outcome('/upload-plain:started').promise;
    req.destroy();
    expect(await outcome('/upload-plain').promise).toBe('aborted');
  });

  it('inside a tunnel (Content-Length) has the upload aborted upstream', async () => {
    const { req, tls } = await tunnelRequest('/upload-tls', 'POST', { 'content-length': String(1024 * 1024) });
    req.on('error', () => {});
    req.write(Buffer.alloc(64 * 1024, 3));
    await outcome('/upload-tls:started').promise;
    tls.destroy();
    expect(await outcome('/upload-tls').promise).toBe('aborted');
  });
});

describe('an upstream that resets after the response head', () => {
  for (const kind of ['length', 'chunked'] as const) {
    it(`over plain HTTP (${kind}) breaks the client's response off`, async () => {
      const req = plainRequest(`/reset-${kind}-plain`);
      const response = responseOf(req);
      req.end();
      const res = await response;
      expect(res.statusCode).toBe(200);
      expect(await bodyOutcome(res)).toBe('broken off');
    });

    it(`inside a tunnel (${kind}) breaks the client's response off`, async () => {
      const { req } = await tunnelRequest(`/reset-${kind}-tls`);
      const response = responseOf(req);
      req.end();
      const res = await response;
      expect(res.statusCode).toBe(200);
      expect(await bodyOutcome(res)).toBe('broken off');
    });
  }
});

const upgradeHead = (host: string, path: string, absolute: boolean): string =>
  `GET ${absolute ? `http://${host}${path}` : path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

describe('a client that leaves before its WebSocket upgrade is answered', () => {
  it('over plain HTTP has the upstream request aborted', async () => {
    const socket: Socket = netConnect(proxy.port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(upgradeHead('plain.example.net', '/hold-plain', true));
    await outcome('/hold-plain:started').promise;
    socket.destroy();
    expect(await outcome('/hold-plain').promise).toBe('closed');
    const logged = await proxy.waitForLog('request', (l) => l.path === '/hold-plain');
    expect(logged).toMatchObject({ status: null, aborted: true });
  });

  it('inside a tunnel has the upstream request aborted', async () => {
    const tls = await tlsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem });
    tls.on('error', () => {});
    tls.write(upgradeHead('api.example.com', '/hold-tls', false));
    await outcome('/hold-tls:started').promise;
    tls.destroy();
    expect(await outcome('/hold-tls').promise).toBe('closed');
  });
});
