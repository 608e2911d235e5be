import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRawResponse, tlsViaProxy } from '../helpers/proxy-client.js';
import type { TestProxy } from '../helpers/test-proxy.js';
import type { TestUpstream } from '../helpers/upstream.js';
import { startOneUpstream, type OneUpstream } from './fixtures.js';

/** Requests the proxy must refuse before any upstream sees them, written as raw bytes. */

let upstream: TestUpstream;
let proxy: TestProxy;
let setup: OneUpstream | undefined;

beforeAll(async () => {
  setup = await startOneUpstream('api.example.com');
  ({ upstream, proxy } = setup);
});

afterAll(() => setup?.close());

function plainSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Where the raw request goes, and the request-target it uses there. */
const channels: Array<{ name: string; open: () => Promise<Duplex>; target: string }> = [
  { name: 'the plain listener (absolute-form)', open: plainSocket, target: 'https://api.example.com/' },
  {
    name: 'an intercepted connection',
    open: () => tlsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem }),
    target: '/',
  },
];

function manyHeaders(count: number): string {
  return Array.from({ length: count }, (_, i) => `X-Header-${i}: ${i}\r\n`).join('');
}

const cases: Array<{ what: string; status: number; request: (target: string) => string }> = [
  {
    what: 'a well-formed request (the control)',
    status: 200,
    request: (t) => `GET ${t} HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n`,
  },
  {
    what: 'conflicting Content-Length and Transfer-Encoding',
    status: 400,
    request: (t) => `POST ${t} HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  },
  {
    what: 'two Host headers',
    status: 400,
    request: (t) => `GET ${t} HTTP/1.1\r\nHost: api.example.com\r\nHost: api.example.com\r\n\r\n`,
  },
  {
    what: 'a header section over 16 KiB',
    status: 431,
    request: (t) => `GET ${t} HTTP/1.1\r\nHost: api.example.com\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
  },
  {
    what: 'exactly 200 header fields',
    status: 200,
    request: (t) => `GET ${t} HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n${manyHeaders(198)}\r\n`,
  },
  {
    what: 'more than 200 header fields',
    status: 431,
    request: (t) => `GET ${t} HTTP/1.1\r\nHost: api.example.com\r\n${manyHeaders(200)}\r\n`,
  },
];

describe.each(channels)('on $name', ({ open, target }) => {
  it.each(cases)('$what gets $status', async ({ status, request }) => {
    const before = upstream.seen.length;
    const socket = await open();
    const response = readRawResponse(socket);
    socket.write(request(target));
    const res = await response;
    socket.destroy();
    expect(res.status).toBe(status);
    expect(upstream.seen.length).toBe(status === 200 ? before + 1 : before);
  });
});

describe('a CONNECT', () => {
  it('with two Host headers gets 400', async () => {
    const socket = await plainSocket();
    const response = readRawResponse(socket);
    socket.write('CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\nHost: other.example.com:443\r\n\r\n');
    const res = await response;
    socket.destroy();
    expect(res.status).toBe(400);
  });
});
