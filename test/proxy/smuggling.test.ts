import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CountingUpstream } from '../helpers/counting-upstream.js';
import { tlsViaProxy } from '../helpers/proxy-client.js';
import type { TestProxy } from '../helpers/test-proxy.js';
import { startCountingSetup, type CountingSetup } from './fixtures.js';

/**
 * Request smuggling (RFC 9112 §6): every message whose framing is ambiguous gets
 * 400 and a closed connection, and not one byte of it reaches an upstream, on
 * the plain listener (absolute-form) and inside a decrypted tunnel.
 */

let plain: CountingUpstream;
let secure: CountingUpstream;
let proxy: TestProxy;
let setup: CountingSetup | undefined;
const opened: Duplex[] = [];

beforeAll(async () => {
  setup = await startCountingSetup();
  ({ plain, secure, proxy } = setup);
});

afterAll(async () => {
  for (const socket of opened) socket.destroy();
  await setup?.close();
});

interface Channel {
  name: string;
  open(): Promise<Duplex>;
  target: string;
  host: string;
  upstream(): CountingUpstream;
  /** What must not move when nothing is forwarded (a tunnel's upstream connection is dialled ahead by design). */
  counted: Array<keyof CountingUpstream['counts']>;
}

const channels: Channel[] = [
  {
    name: 'the plain listener (absolute-form)',
    open: () =>
      new Promise((resolve, reject) => {
        const socket = connect(proxy.port, '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
      }),
    target: 'http://plain.example.net/smuggle',
    host: 'plain.example.net',
    upstream: () => plain,
    counted: ['connections', 'bytes', 'requests', 'clientErrors'],
  },
  {
    name: 'an intercepted connection',
    open: () => tlsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem }),
    target: '/smuggle',
    host: 'api.example.com',
    upstream: () => secure,
    counted: ['bytes', 'requests', 'clientErrors'],
  },
];

/** The field lines under test, then the bytes that follow the head. */
const vectors: Array<{ what: string; fields: string; body: string }> = [
  { what: 'Content-Length with Transfer-Encoding', fields: 'Content-Length: 5\r\nTransfer-Encoding: chunked', body: '0\r\n\r\n' },
  { what: 'Transfer-Encoding with Content-Length', fields: 'Transfer-Encoding: chunked\r\nContent-Length: 5', body: '0\r\n\r\n' },
  { what: 'two different Content-Lengths', fields: 'Content-Length: 5\r\nContent-Length: 6', body: 'hello!' },
  { what: 'two equal Content-Lengths', fields: 'Content-Length: 1\r\nContent-Length: 1', body: 'x' },
  { what: 'Content-Length "1, 1"', fields: 'Content-Length: 1, 1', body: 'x' },
  { what: 'Transfer-Encoding "chunked, chunked"', fields: 'Transfer-Encoding: chunked, chunked', body: '0\r\n\r\n' },
  { what: 'Transfer-Encoding chunked twice', fields: 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked', body: '0\r\n\r\n' },
  { what: 'Transfer-Encoding "chunked,gzip"', fields: 'Transfer-Encoding: chunked,gzip', body: '0\r\n\r\n' },
  { what: 'Transfer-Encoding "gzip, chunked"', fields: 'Transfer-Encoding: gzip, chunked', body: '0\r\n\r\n' },
  { what: 'Transfer-Encoding gzip then chunked on two lines', fields: 'Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked', body: '0\r\n\r\n' },
  { what: 'an unknown Transfer-Encoding', fields: 'Transfer-Encoding: foo', body: 'abc' },
  { what: 'Transfer-Encoding "identity"', fields: 'Transfer-Encoding: identity', body: 'abc' },
  { what: 'an empty Transfer-Encoding', fields: 'Transfer-Encoding: ', body: '' },
  { what: '"Content-Length :" with a space before the colon', fields: 'Content-Length : 1', body: 'x' },
  { what: 'Content-Length "+1"', fields: 'Content-Length: +1', body: 'x' },
  { what: 'Content-Length "0x42"', fields: 'Content-Length: 0x42', body: 'x' },
  { what: 'Content-Length "-1"', fields: 'Content-Length: -1', body: 'x' },
  { what: 'an empty Content-Length', fields: 'Content-Length: ', body: 'x' },
  { what: 'Content-Length "010" (leading zero, refused rather than reread)', fields: 'Content-Length: 010', body: '0123456789' },
  { what: 'Transfer-Encoding folded over two lines', fields: 'Transfer-Encoding: gzip\r\n chunked', body: '0\r\n\r\n' },
];

function expectNothingForwarded(channel: Channel, before: CountingUpstream['counts']): void {
  const now = channel.upstream().counts;
  for (const key of channel.counted) expect({ [key]: now[key] }).toEqual({ [key]: before[key] });
}

/** Sends raw bytes and collects what comes back until the proxy closes (bounded): the first status and how many answers. */
async function exchange(channel: Channel, bytes: string): Promise<{ status: number; answers: number; closed: boolean }> {
  const socket = await channel.open();
  opened.push(socket);
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.write(Buffer.from(bytes, 'latin1'));
  });
  const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  return { status: statuses[0] ?? 0, answers: statuses.length, closed };
}

describe.each(channels)('on $name', (channel) => {
  const post = (fields: string, body: string, version = '1.1'): string =>
    `POST ${channel.target} HTTP/${version}\r\nHost: ${channel.host}\r\n${fields}\r\n\r\n${body}`;

  it.each(vectors)('$what gets 400, a close, and reaches no upstream', async ({ fields, body }) => {
    const before = { ...channel.upstream().counts };
    expect(await exchange(channel, post(fields, body))).toEqual({ status: 400, answers: 1, closed: true });
    expectNothingForwarded(channel, before);
    // The control: the next client is served and its request arrives whole.
    const control = await exchange(channel, post('Content-Length: 5\r\nConnection: close', 'hello'));
    expect(control.status).toBe(200);
    expect(channel.upstream().requests.at(-1)).toMatchObject({ method: 'POST', bodyLength: 5 });
  });

  it.each([
    { what: 'HTTP/1.0 with Transfer-Encoding', status: 400, bytes: () => post('Transfer-Encoding: chunked', '5\r\nhello\r\n0\r\n\r\n', '1.0') },
    { what: 'an HTTP/2.0 request line (which llhttp accepts)', status: 505, bytes: () => `GET ${channel.target} HTTP/2.0\r\nHost: ${channel.host}\r\n\r\n` },
  ])('$what gets $status and reaches no upstream', async ({ status, bytes }) => {
    const before = { ...channel.upstream().counts };
    expect(await exchange(channel, bytes())).toEqual({ status, answers: 1, closed: true });
    expectNothingForwarded(channel, before);
  });

  it('"Transfer-Encoding: chunKed" is one request under the proxy\'s own framing', async () => {
    const before = channel.upstream().counts.requests;
    const res = await exchange(channel, post('Transfer-Encoding: chunKed\r\nConnection: close', '5\r\nhello\r\n0\r\n\r\n'));
    expect(res.status).toBe(200);
    expect(channel.upstream().counts.requests).toBe(before + 1);
    const seen = channel.upstream().requests.at(-1)!;
    expect(seen.bodyLength).toBe(5);
    // Never the client's spelling: the proxy frames the body itself, by length or as chunked.
    expect([undefined, 'chunked']).toContain(seen.headers['transfer-encoding']);
  });
});
