import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsViaProxy, requestViaProxy, responseOf } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

/** Upstreams that break mid-way, go silent, or lose their client. */

let pki: ProxyPki;
let upstream: TestUpstream;
/** Accepts TCP and never says a word: no TLS, no HTTP. */
let mute: NetServer;
const muteSockets = new Set<Socket>();
/** Resolves when the upstream's socket serving /endless closes. */
let endlessClosed: Promise<void>;
let onEndlessClosed: () => void;
/** How the upstream saw the end of the upload to /upload-cut: 'end' or 'aborted'. */
let uploadOutcome: Promise<string>;
let onUploadOutcome: (outcome: string) => void;
let uploadStarted: Promise<void>;
let onUploadStarted: () => void;
/** Requests the upstream holds without ever answering; released at the end. */
const held: IncomingMessage[] = [];
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeProxyPki();
  endlessClosed = new Promise((resolve) => (onEndlessClosed = resolve));
  uploadOutcome = new Promise((resolve) => (onUploadOutcome = resolve));
  uploadStarted = new Promise((resolve) => (onUploadStarted = resolve));
  upstream = await startUpstream({
    certPem: pki.server.certPem,
    keyPem: pki.server.keyPem,
    clientCa: pki.clientCa.certPem,
    handler: (req, res) => {
      switch (req.url) {
        case '/reset-after-headers':
          // No Content-Length: the body is chunked, so only the proxy can tell the client it broke.
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.write(Buffer.alloc(1000, 1), () => req.socket.destroy());
          return;
        case '/endless': {
          req.socket.once('close', onEndlessClosed);
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          const chunk = Buffer.alloc(64 * 1024, 7);
          // Bounded: 1 GiB at most, and backpressure keeps only a few chunks in flight.
          let left = 16 * 1024;
          const pump = (): void => {
            while (left > 0 && !res.destroyed) {
              left--;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
          return;
        }
        case '/upload-cut':
          req.once('data', onUploadStarted);
          req.once('end', () => onUploadOutcome('end'));
          req.once('close', () => onUploadOutcome(req.complete ? 'end' : 'aborted'));
          req.resume();
          return;
        case '/silent':
          held.push(req);
          return;
        default:
          res.end('ok');
      }
    },
  });
  mute = createNetServer((socket) => {
    muteSockets.add(socket);
    socket.once('close', () => muteSockets.delete(socket));
  });
  await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
  const mutePort = (mute.address() as AddressInfo).port;
  proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "api.example.com:443": "127.0.0.1:${upstream.port}"
    "mute.example.com:443": "127.0.0.1:${mutePort}"
timeouts:
  handshake: 1
  response: 1
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`);
});

afterAll(async () => {
  await proxy?.close();
  for (const req of held) req.socket.destroy();
  await upstream?.close();
  for (const socket of muteSockets) socket.destroy();
  await new Promise((resolve) => mute?.close(resolve));
});

function via(host: string, path: string) {
  return httpsViaProxy({ proxyPort: proxy.port, authority: `${host}:443`, ca: proxy.proxy.context.ca.certPem, path });
}

describe('an upstream that fails', () => {
  it('resetting after the response headers gives the client a broken response, never a clean end', async () => {
    const { req } = await requestViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem, path: '/reset-after-headers' });
    const response = responseOf(req);
    req.end();
    const res = await response;
    expect(res.statusCode).toBe(200);
    const outcome = await new Promise<string>((resolve) => {
      let received = 0;
      res.on('data', (c: Buffer) => (received += c.length));
      res.once('end', () => resolve(`clean end after ${received} bytes`));
      res.once('aborted', () => resolve('aborted'));
      res.once('error', () => resolve('aborted'));
    });
    expect(outcome).toBe('aborted');
    const logged = await proxy.waitForLog('request', (l) => l.path === '/reset-after-headers');
    expect(logged).toMatchObject({ status: 200, aborted: true });
  });

  it('that never completes the TLS handshake answers 504 after timeouts.handshake', async () => {
    const res = await via('mute.example.com', '/');
    expect(res.status).toBe(504);
    expect(res.headers['proxy-status']).toBe('mtls-proxy; error=connection_timeout; details="ERR_UPSTREAM_HANDSHAKE_TIMEOUT"');
    expect(res.body).toContain('timeouts.handshake');
  });

  it('that never sends response headers answers 504 http_response_timeout after timeouts.response', async () => {
    const res = await via('api.example.com', '/silent');
    expect(res.status).toBe(504);
    expect(res.headers['proxy-status']).toMatch(/^mtls-proxy; error=http_response_timeout; /);
    expect(res.body).toContain('timeouts.response');
    expect(held).toHaveLength(1);
  });
});

describe('a client that goes away', () => {
  it('mid-download has the upstream connection closed, not returned to the pool', async () => {
    const { req, tls } = await requestViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem, path: '/endless' });
    const response = responseOf(req);
    req.end();
    const res = await response;
    expect(res.statusCode).toBe(200);
    await new Promise((resolve) => res.once('data', resolve));
    tls.destroy();
    await endlessClosed;
    const logged = await proxy.waitForLog('request', (l) => l.path === '/endless');
    expect(logged).toMatchObject({ status: 200, aborted: true });
    // The pool still works for the next client.
    const next = await via('api.example.com', '/');
    expect(next.status).toBe(200);
    expect(next.body).toBe('ok');
  });

  it('mid-upload has the upload aborted upstream, never ended as if complete', async () => {
    const { req, tls } = await requestViaProxy({
      proxyPort: proxy.port,
      authority: 'api.example.com:443',
      ca: proxy.proxy.context.ca.certPem,
      method: 'POST',
      path: '/upload-cut',
      headers: { 'transfer-encoding': 'chunked' },
    });
    req.on('error', () => {});
    req.write(Buffer.alloc(64 * 1024, 3));
    await uploadStarted;
    tls.destroy();
    expect(await uploadOutcome).toBe('aborted');
  });
});
