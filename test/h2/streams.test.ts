import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestH2Upstream } from '../helpers/h2-upstream.js';
import type { TestProxy } from '../helpers/test-proxy.js';
import { ruleYaml, type ProxyPki } from '../proxy/fixtures.js';
import { startH2Setup, type H2Setup } from './fixtures.js';

/** A raw node:http2 client through the proxy: frames the gRPC libraries hide (Trailers-Only, RST_STREAM codes, GOAWAY). */

let pki: ProxyPki;
let upstream: TestH2Upstream;
let proxy: TestProxy;
let setup: H2Setup | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const closedPort = await freePort();
  setup = await startH2Setup({
    h2Handler: (stream, headers, seen) => {
      const path = headers[':path'];
      if (path === '/trailers-only') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '7', 'grpc-message': 'denied' }, { endStream: true });
      } else if (path === '/trailers') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-sum': 'ok' }));
        stream.end('body');
      } else if (path === '/reset-after-head') {
        // Trailers awaited, so that close() does not send END_STREAM before its RST_STREAM.
        stream.respond({ ':status': 200 }, { waitForTrailers: true });
        stream.write('partial', () => stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM));
      } else if (path === '/die-after-head') {
        stream.respond({ ':status': 200 });
        stream.write('partial', () => seen.dropConnection());
      } else if (path === '/then-end-connection') {
        stream.respond({ ':status': 200 });
        stream.end('done', () => seen.endConnection());
      } else if (path === '/die-before-head') {
        seen.dropConnection();
      } else if (path === '/refuse') {
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
      } else if (path === '/wait') {
        stream.respond({ ':status': 200 });
        stream.write('head');
      } else if (path === '/goaway') {
        stream.respond({ ':status': 200 });
        stream.end('bye', () => stream.session?.close());
      } else if (path === '/echo-trailers') {
        let trailers: IncomingHttpHeaders = {};
        stream.once('trailers', (received: IncomingHttpHeaders) => (trailers = received));
        stream.resume();
        stream.once('end', () => {
          stream.respond({ ':status': 200 });
          stream.end(JSON.stringify({ trailers }));
        });
      } else if (path === '/echo') {
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
        stream.once('end', () => {
          stream.respond({ ':status': 200 });
          stream.end(JSON.stringify({ bytes, clientCert: seen.clientCert }));
        });
      } else {
        stream.resume();
        stream.respond({ ':status': 200 });
        stream.end(JSON.stringify({ clientCert: seen.clientCert, te: headers.te ?? null }));
      }
    },
    resolve: (h2Port) => `    "b.example.com:443": "127.0.0.1:${h2Port}"\n    "trailers.example.com:443": "127.0.0.1:${h2Port}"\n    "other.example.com:443": "127.0.0.1:${closedPort}"\n`,
    rules: (p) => ruleYaml(p, 'api.example.com', 'alice') + ruleYaml(p, '*.example.com', 'bob'),
  });
  ({ pki, proxy, h2: upstream } = setup);
});

afterAll(() => setup?.close());

async function h2Client(host: string): Promise<ClientHttp2Session> {
  return setup!.client(host);
}

interface Answer {
  headers: IncomingHttpHeaders;
  /** Whether the response head ended the stream (a Trailers-Only response). */
  headOnly: boolean;
  body: string;
  trailers: IncomingHttpHeaders | null;
  rstCode: number;
}

function answer(req: ClientHttp2Stream): Promise<Answer> {
  return new Promise((resolve) => {
    const out: Answer = { headers: {}, headOnly: false, body: '', trailers: null, rstCode: 0 };
    req.on('error', () => {});
    req.once('response', (headers, flags) => {
      out.headers = headers;
      out.headOnly = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    });
    req.on('data', (chunk: Buffer) => (out.body += chunk.toString()));
    req.once('trailers', (trailers) => (out.trailers = trailers));
    req.once('close', () => resolve({ ...out, rstCode: req.rstCode ?? 0 }));
  });
}

function get(session: ClientHttp2Session, path: string, headers: OutgoingHttpHeaders = {}): Promise<Answer> {
  return answer(session.request({ ':path': path, ...headers }));
}

describe('h2 streams through the proxy', () => {
  it('passes a Trailers-Only response as one HEADERS frame that ends the stream', async () => {
    const a = await get(await h2Client('api.example.com'), '/trailers-only');
    expect(a).toMatchObject({ headOnly: true, body: '', rstCode: 0 });
    expect(a.headers).toMatchObject({ ':status': 200, 'grpc-status': '7', 'grpc-message': 'denied' });
  });

  it('passes response trailers after the body, and te: trailers to the upstream', async () => {
    const session = await h2Client('api.example.com');
    const a = await get(session, '/trailers', { te: 'trailers' });
    expect(a).toMatchObject({ headOnly: false, body: 'body', rstCode: 0 });
    expect(a.trailers).toMatchObject({ 'grpc-status': '0', 'x-sum': 'ok' });
    expect(JSON.parse((await get(session, '/', { te: 'trailers' })).body)).toMatchObject({ te: 'trailers' });
  });

  it('passes request trailers to the upstream, though they arrive before its session is ready', async () => {
    const session = await h2Client('trailers.example.com');
    const req = session.request({ ':path': '/echo-trailers', ':method': 'POST' }, { waitForTrailers: true });
    req.once('wantTrailers', () => req.sendTrailers({ 'x-checksum': 'c0ffee' }));
    req.end('body');
    const { trailers } = JSON.parse((await answer(req)).body) as { trailers: IncomingHttpHeaders };
    expect(trailers).toMatchObject({ 'x-checksum': 'c0ffee' });
  });

  it('relays an upstream RST_STREAM to the client with its code, before or after the head', async () => {
    const session = await h2Client('api.example.com');
    const after = await get(session, '/reset-after-head');
    expect(after).toMatchObject({ body: 'partial', rstCode: constants.NGHTTP2_ENHANCE_YOUR_CALM });
    const before = await get(session, '/refuse');
    expect(before.rstCode).toBe(constants.NGHTTP2_REFUSED_STREAM);
  });

  it('resets the client stream when the upstream connection dies after the head, and the next stream opens a new session', async () => {
    const session = await h2Client('api.example.com');
    const a = await get(session, '/die-after-head');
    expect(a).toMatchObject({ body: 'partial', rstCode: constants.NGHTTP2_INTERNAL_ERROR });
    expect(a.headers[':status']).toBe(200);
    const request = await proxy.waitForLog('request', (l) => l.path === '/die-after-head');
    expect(request).toMatchObject({ status: 200, aborted: true, protocol: 'h2', upstreamProtocol: 'h2' });
    expect(await proxy.waitForLog('upstream error', (l) => l.host === 'api.example.com')).toMatchObject({ code: 'ECONNRESET' });
    const before = upstream.connections;
    expect(JSON.parse((await get(session, '/')).body)).toMatchObject({ clientCert: pki.alice.fingerprint256 });
    expect(upstream.connections).toBe(before + 1);
  });

  it('opens a new upstream session after the server ends its connection without GOAWAY', async () => {
    const session = await h2Client('api.example.com');
    expect((await get(session, '/then-end-connection')).body).toBe('done');
    const before = upstream.connections;
    expect(JSON.parse((await get(session, '/')).body)).toMatchObject({ clientCert: pki.alice.fingerprint256 });
    expect(upstream.connections).toBe(before + 1);
  });

  it('answers 502 with Proxy-Status when the upstream connection dies before the head', async () => {
    const a = await get(await h2Client('api.example.com'), '/die-before-head');
    expect(a.headers[':status']).toBe(502);
    expect(a.headers['proxy-status']).toBe('mtls-proxy; error=connection_terminated; details="ECONNRESET"');
    const request = await proxy.waitForLog('request', (l) => l.path === '/die-before-head');
    expect(request).toMatchObject({ status: 502, protocol: 'h2' });
  });

  it('resets the upstream stream when the client resets its own', async () => {
    const session = await h2Client('api.example.com');
    const req = session.request({ ':path': '/wait' });
    req.on('error', () => {});
    await new Promise<void>((resolve) => req.once('data', () => resolve()));
    const seen = upstream.seen.at(-1)!;
    req.close(constants.NGHTTP2_CANCEL);
    expect(await seen.closed).toBe(constants.NGHTTP2_CANCEL);
    const request = await proxy.waitForLog('request', (l) => l.path === '/wait');
    expect(request).toMatchObject({ status: 200, aborted: true, protocol: 'h2' });
  });

  it('streams a 2 MiB request body upstream under flow control', async () => {
    const session = await h2Client('api.example.com');
    const req = session.request({ ':path': '/echo', ':method': 'POST' });
    const done = answer(req);
    const chunk = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < 32; i++) if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
    req.end();
    expect(JSON.parse((await done).body)).toEqual({ bytes: 2 * 1024 * 1024, clientCert: pki.alice.fingerprint256 });
  });

  it('answers 502 with Proxy-Status on the stream when the upstream cannot be reached', async () => {
    const a = await get(await h2Client('other.example.com'), '/');
    expect(a.headers[':status']).toBe(502);
    expect(a.headers['proxy-status']).toBe('mtls-proxy; error=destination_unavailable; details="ECONNREFUSED"');
    expect(a.body).toMatch(/other\.example\.com:443 .*refused/);
    const error = await proxy.waitForLog('upstream error', (l) => l.host === 'other.example.com');
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('answers 421 on a stream whose :authority is not the CONNECT target', async () => {
    const a = await get(await h2Client('api.example.com'), '/', { ':authority': 'b.example.com' });
    expect(a.headers[':status']).toBe(421);
  });

  it('shares one upstream session per identity, never one for two identities', async () => {
    const connectionsBefore = upstream.connections;
    const [alice1, alice2, bob] = await Promise.all([h2Client('api.example.com'), h2Client('api.example.com'), h2Client('b.example.com')]);
    const answers = await Promise.all([get(alice1, '/'), get(alice2, '/'), get(bob, '/'), get(alice1, '/'), get(bob, '/')]);
    const certs = answers.map((a) => (JSON.parse(a.body) as { clientCert: string }).clientCert);
    const { alice: a, bob: b } = pki;
    expect(certs).toEqual([a.fingerprint256, a.fingerprint256, b.fingerprint256, a.fingerprint256, b.fingerprint256]);
    // alice's session was made by the tests above; bob's is the one new connection.
    expect(upstream.connections - connectionsBefore).toBe(1);
  });

  it('dials nothing ahead for a new client connection to a route with an h2 session', async () => {
    await get(await h2Client('api.example.com'), '/');
    const before = upstream.tcpConnections;
    const answered = await get(await h2Client('api.example.com'), '/');
    expect(JSON.parse(answered.body)).toMatchObject({ clientCert: pki.alice.fingerprint256 });
    expect(upstream.tcpConnections).toBe(before);
  });

  it('opens a new upstream session after the server sends GOAWAY', async () => {
    const session = await h2Client('api.example.com');
    expect((await get(session, '/goaway')).body).toBe('bye');
    const before = upstream.connections;
    const next = await get(session, '/');
    expect(JSON.parse(next.body)).toMatchObject({ clientCert: pki.alice.fingerprint256 });
    expect(upstream.connections).toBe(before + 1);
  });
});
