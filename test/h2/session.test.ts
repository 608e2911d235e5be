import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startH2Setup, type H2Setup } from './fixtures.js';

/** An h2 client connection's limits and timeouts, and h2 requests translated to an HTTP/1.1 server. */

let setup: H2Setup;
/** Resolved when the server's side of a held request closes. */
let heldClosed: Promise<void> = Promise.resolve();
/** Far more than the flow-control windows between the server and a client that does not read. */
const LARGE_BODY = 4 * 1024 * 1024;

beforeAll(async () => {
  setup = await startH2Setup({
    h2Handler: (stream, headers) => {
      stream.resume();
      if (headers[':path'] === '/stall-mid-body') {
        stream.respond({ ':status': 200 });
        stream.write('partial');
      } else if (headers[':path'] === '/large') {
        stream.respond({ ':status': 200 });
        stream.end(Buffer.alloc(LARGE_BODY, 7));
      }
      // Anything else is never answered: for timeouts.response.
    },
    h1Handler: (req, res, seen) => {
      if (req.url === '/hold') {
        heldClosed = new Promise((resolve) => res.once('close', () => resolve()));
        return;
      }
      if (req.url === '/die-before-head') {
        req.socket.destroy();
        return;
      }
      if (req.url === '/large') {
        res.writeHead(200, { 'content-length': String(LARGE_BODY) });
        res.end(Buffer.alloc(LARGE_BODY, 7));
        return;
      }
      if (req.url?.startsWith('/stall-mid-body')) {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        return;
      }
      if (req.url === '/die-mid-body') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial', () => req.socket.destroy());
        return;
      }
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', trailer: 'x-digest' });
        res.write(JSON.stringify({ bytes, headers: req.headers, trailers: req.trailers, clientCert: seen.clientCert }));
        res.addTrailers({ 'x-digest': 'done' });
        res.end();
      });
    },
    yaml: 'timeouts:\n  handshake: 0.3\n  idle: 1\n  response: 0.5\n',
  });
});

afterAll(() => setup?.close());

describe('an h2 client connection', () => {
  it('is told the stream and header limits', async () => {
    const session = await setup.client('api.example.com');
    expect(session.remoteSettings).toMatchObject({ maxConcurrentStreams: 100, maxHeaderListSize: 16 * 1024, enablePush: false });
  });

  it('is not cut by the request-head deadline (timeouts.handshake), and closes with GOAWAY once idle for timeouts.idle', async () => {
    const session = await setup.client('a.example.com');
    // Past timeouts.handshake (0.3 s), before timeouts.idle (1 s): an HTTP/1.1 connection would be gone.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const req = session.request({ ':path': '/after-wait' });
    req.end();
    const status = await new Promise<number>((resolve) => req.once('response', (h: IncomingHttpHeaders) => resolve(Number(h[':status']))));
    req.resume();
    expect(status).toBe(201);
    await new Promise<void>((resolve) => session.once('goaway', () => resolve()));
  });

  it('answers 504 with Proxy-Status when the upstream sends no response head within timeouts.response, and resets its stream', async () => {
    const session = await setup.client('api.example.com');
    const req = session.request({ ':path': '/silent' });
    req.end();
    const headers = await new Promise<IncomingHttpHeaders>((resolve) => req.once('response', resolve));
    req.resume();
    expect(headers[':status']).toBe(504);
    expect(headers['proxy-status']).toMatch(/^mtls-proxy; error=http_response_timeout;/);
    expect(await setup.h2.seen.at(-1)!.closed).toBe(constants.NGHTTP2_CANCEL);
  });
});

/** The head and body of an answer, once its stream closed. */
async function answer(req: ClientHttp2Stream): Promise<{ head: IncomingHttpHeaders; body: Buffer }> {
  const chunks: Buffer[] = [];
  req.on('error', () => {});
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  const [head] = await Promise.all([new Promise<IncomingHttpHeaders>((resolve) => req.once('response', resolve)), new Promise((resolve) => req.once('close', resolve))]);
  return { head, body: Buffer.concat(chunks) };
}

/** Where a request is relayed: an h2 server, an HTTP/1.1 one through its pool, or (with request trailers) on a connection of its own. */
const PATHS = [
  { host: 'api.example.com', upstreamProtocol: 'h2', trailers: false, code: 'ERR_UPSTREAM_BODY_TIMEOUT' },
  { host: 'a.example.com', upstreamProtocol: 'http/1.1', trailers: false, code: 'UND_ERR_BODY_TIMEOUT' },
  { host: 'a.example.com', upstreamProtocol: 'http/1.1', trailers: true, code: 'ERR_UPSTREAM_BODY_TIMEOUT' },
] as const;

function send(session: ClientHttp2Session, path: string, trailers: boolean): ClientHttp2Stream {
  if (!trailers) {
    const req = session.request({ ':path': path });
    req.end();
    return req;
  }
  const req = session.request({ ':path': path, ':method': 'POST', trailer: 'x-checksum' }, { waitForTrailers: true });
  req.once('wantTrailers', () => req.sendTrailers({ 'x-checksum': 'c0ffee' }));
  req.end('body');
  return req;
}

describe('a response body that stops for timeouts.idle', () => {
  for (const { host, upstreamProtocol, trailers, code } of PATHS) {
    const path = trailers ? '/stall-mid-body-trailed' : '/stall-mid-body';
    it(`resets the client stream, never ends it cleanly, from an ${upstreamProtocol} server${trailers ? ', for a request with trailers' : ''}`, async () => {
      const session = await setup.client(host);
      const req = send(session, path, trailers);
      const { head, body } = await answer(req);
      expect(head[':status']).toBe(200);
      expect(body.toString()).toBe('partial');
      expect(req.rstCode).toBe(constants.NGHTTP2_INTERNAL_ERROR);
      const error = await setup.proxy.waitForLog('upstream error', (l) => l.host === host && l.code === code);
      expect(error.error).toContain('timeouts.idle');
      const request = await setup.proxy.waitForLog('request', (l) => l.host === host && l.path === path);
      expect(request).toMatchObject({ status: 200, aborted: true, upstreamProtocol });
      if (upstreamProtocol === 'h2') expect(await setup.h2.seen.at(-1)!.closed).toBe(constants.NGHTTP2_CANCEL);
    });

    it(`is not the server's fault while the client is the one not reading: the whole body arrives from an ${upstreamProtocol} server${trailers ? ', for a request with trailers' : ''}`, async () => {
      const session = await setup.client(host);
      const req = send(session, '/large', trailers);
      req.pause();
      const head = await new Promise<IncomingHttpHeaders>((resolve) => req.once('response', resolve));
      // Past timeouts.idle (1 s) with every window full.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.resume();
      await new Promise((resolve) => req.once('close', resolve));
      expect(head[':status']).toBe(200);
      expect(bytes).toBe(LARGE_BODY);
      expect(req.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    });
  }
});

/** The head, body and trailers of an answer that has trailers, once its stream closed. */
async function answerWithTrailers(req: ClientHttp2Stream): Promise<{ head: IncomingHttpHeaders; body: string; trailers: IncomingHttpHeaders }> {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  const [head, trailers] = await Promise.all([
    new Promise<IncomingHttpHeaders>((resolve) => req.once('response', resolve)),
    new Promise<IncomingHttpHeaders>((resolve) => req.once('trailers', resolve)),
    new Promise((resolve) => req.once('close', resolve)),
  ]);
  return { head, body, trailers };
}

describe('an h2 request to an HTTP/1.1-only server', () => {
  it('is sent as HTTP/1.1 with its body streamed, and the chunked trailers come back as h2 trailers', async () => {
    const session = await setup.client('a.example.com');
    const req = session.request({ ':path': '/upload?x=1', ':method': 'POST', 'content-type': 'application/octet-stream', te: 'trailers' });
    req.end(Buffer.alloc(300 * 1024, 1));
    const { head, body, trailers } = await answerWithTrailers(req);
    expect(head[':status']).toBe(201);
    expect(trailers['x-digest']).toBe('done');
    const seen = JSON.parse(body) as { bytes: number; headers: IncomingHttpHeaders; clientCert: string };
    expect(seen.bytes).toBe(300 * 1024);
    expect(seen.clientCert).toBe(setup.pki.alice.fingerprint256);
    // Host is the client's :authority, as it sent it.
    expect(seen.headers).toMatchObject({ host: 'a.example.com:443', 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' });
    expect(seen.headers.te).toBeUndefined();
    const request = await setup.proxy.waitForLog('request', (l) => l.path === '/upload');
    expect(request).toMatchObject({ method: 'POST', status: 201, protocol: 'h2', upstreamProtocol: 'http/1.1' });
    const tls = setup.proxy.logs('upstream tls').filter((l) => l.host === 'a.example.com');
    expect(tls.map((l) => l.protocol)).toContain('http/1.1');
  });

  it('resets the client stream when the server connection dies mid-body, and logs the request aborted', async () => {
    const session = await setup.client('a.example.com');
    const req = session.request({ ':path': '/die-mid-body' });
    req.on('error', () => {});
    req.end();
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    const head = await new Promise<IncomingHttpHeaders>((resolve) => req.once('response', resolve));
    await new Promise((resolve) => req.once('close', resolve));
    expect(head[':status']).toBe(200);
    expect(body).toBe('partial');
    expect(req.rstCode).toBe(constants.NGHTTP2_INTERNAL_ERROR);
    const request = await setup.proxy.waitForLog('request', (l) => l.path === '/die-mid-body');
    expect(request).toMatchObject({ status: 200, aborted: true, protocol: 'h2', upstreamProtocol: 'http/1.1' });
    expect(setup.proxy.logs('upstream error').some((l) => l.host === 'a.example.com')).toBe(true);
  });

  it('sends request trailers the client declared as chunked trailers, on a connection with the client certificate', async () => {
    const session = await setup.client('a.example.com');
    const req = session.request(
      { ':path': '/with-trailers', ':method': 'POST', 'content-length': '10', trailer: 'x-checksum', te: 'trailers' },
      { waitForTrailers: true },
    );
    req.once('wantTrailers', () => req.sendTrailers({ 'x-checksum': 'c0ffee', 'content-type': 'text/evil' }));
    req.end(Buffer.alloc(10, 1));
    const { head, body, trailers } = await answerWithTrailers(req);
    expect(head[':status']).toBe(201);
    expect(trailers['x-digest']).toBe('done');
    const seen = JSON.parse(body) as { bytes: number; headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders; clientCert: string };
    expect(seen.bytes).toBe(10);
    expect(seen.clientCert).toBe(setup.pki.alice.fingerprint256);
    expect(seen.trailers).toEqual({ 'x-checksum': 'c0ffee' });
    // Chunked, so no length; the Trailer field names what follows the body.
    expect(seen.headers).toMatchObject({ host: 'a.example.com:443', 'transfer-encoding': 'chunked', trailer: 'x-checksum' });
    expect(seen.headers['content-length']).toBeUndefined();
    const request = await setup.proxy.waitForLog('request', (l) => l.path === '/with-trailers');
    expect(request).toMatchObject({ method: 'POST', status: 201, protocol: 'h2', upstreamProtocol: 'http/1.1' });
    expect(request.aborted).toBeUndefined();
  });

  it('answers 502 with Proxy-Status when the server of a request with trailers closes before its head', async () => {
    const session = await setup.client('a.example.com');
    const req = session.request({ ':path': '/die-before-head', ':method': 'POST', trailer: 'x-checksum' }, { waitForTrailers: true });
    req.once('wantTrailers', () => req.sendTrailers({ 'x-checksum': 'c0ffee' }));
    req.end('body');
    req.resume();
    const head = await new Promise<IncomingHttpHeaders>((resolve) => req.once('response', resolve));
    expect(head[':status']).toBe(502);
    expect(head['proxy-status']).toBe('mtls-proxy; error=connection_terminated; details="ECONNRESET"');
  });

  it('closes the upstream request of a request with trailers when the client resets its stream', async () => {
    const session = await setup.client('a.example.com');
    const seen = setup.h1.seen.length;
    const req = session.request({ ':path': '/hold', ':method': 'POST', trailer: 'x-checksum' }, { waitForTrailers: true });
    req.on('error', () => {});
    req.write('part of the body');
    while (setup.h1.seen.length === seen) await new Promise((resolve) => setImmediate(resolve));
    const closed = heldClosed;
    req.close(constants.NGHTTP2_CANCEL);
    await closed;
    const request = await setup.proxy.waitForLog('request', (l) => l.path === '/hold');
    expect(request).toMatchObject({ status: null, aborted: true, protocol: 'h2', upstreamProtocol: 'http/1.1' });
  });
});

describe('an h2 client that resets its stream before an HTTP/1.1 server answers, with no timeout near', () => {
  let quiet: H2Setup;
  let held: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    quiet = await startH2Setup({
      h1Handler: (_req, res) => {
        held = new Promise((resolve) => res.once('close', () => resolve()));
      },
      // Nothing but the client's reset can end the request within the test.
      yaml: 'timeouts:\n  response: 600\n  idle: 600\n',
    });
  });

  afterAll(() => quiet?.close());

  it('has its request through the pool aborted, the connection closed', async () => {
    const session = await quiet.client('a.example.com');
    const req = session.request({ ':path': '/hold' });
    req.on('error', () => {});
    req.end();
    while (quiet.h1.seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    req.close(constants.NGHTTP2_CANCEL);
    await held;
    const request = await quiet.proxy.waitForLog('request', (l) => l.path === '/hold');
    expect(request).toMatchObject({ status: null, aborted: true, protocol: 'h2', upstreamProtocol: 'http/1.1' });
  });
});
