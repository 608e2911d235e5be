import fc from 'fast-check';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CountingUpstream } from '../helpers/counting-upstream.js';
import { connectThrough, tlsViaProxy } from '../helpers/proxy-client.js';
import type { TestProxy } from '../helpers/test-proxy.js';
import { startCountingSetup, type CountingSetup } from './fixtures.js';

/**
 * Generated malformed input at the real listener, on the proxy's port and inside a
 * decrypted tunnel: request heads with at least one defect, bad CONNECT authorities,
 * and TLS-looking garbage after a CONNECT 200. The proxy must never crash or log an
 * error, never answer 2xx, never pass a byte to an upstream, and keep serving a
 * well-behaved client after each batch. FUZZ_SEED=<n> replays a run.
 */

const seed = process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FUZZ_SEED);
/** Long enough for the proxy's timeouts.handshake (1 s here) to close any connection left waiting. */
const SOCKET_LIMIT_MS = 3000;

let plain: CountingUpstream;
let secure: CountingUpstream;
let proxy: TestProxy;
let setup: CountingSetup | undefined;

beforeAll(async () => {
  setup = await startCountingSetup('timeouts:\n  handshake: 1\n');
  ({ plain, secure, proxy } = setup);
});

afterAll(async () => {
  await setup?.close();
});

function plainSocket(): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

const tunnelSocket = (): Promise<Duplex> =>
  tlsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem });

/** Writes `bytes` (text as latin1), then resolves with the status of the answer (0 for none) once the socket closes or the limit passes. */
function answerTo(socket: Duplex, bytes: Buffer | string): Promise<number> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(received.toString('latin1'))?.[1] ?? 0));
    };
    const timer = setTimeout(done, SOCKET_LIMIT_MS);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.on('error', () => {});
    socket.once('close', done);
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

// ---- Request heads: a valid one, then at least one defect RFC 9112 does not allow.

interface Head {
  method: string;
  target: string;
  version: string;
  fields: Array<[string, string]>;
  eol: string;
}

const render = (h: Head): string =>
  `${h.method} ${h.target} ${h.version}${h.eol}${h.fields.map(([n, v]) => `${n}:${v}${h.eol}`).join('')}${h.eol}`;

/** Control characters no part of a head may carry (HTAB is allowed in field values, CR and LF end lines). */
const ctl = fc.constantFrom(...[...Array(32).keys(), 127].filter((c) => c !== 9 && c !== 10 && c !== 13).map((c) => String.fromCharCode(c)));
/** Characters a token (method, field name) may not carry. */
const notToken = fc.oneof(ctl, fc.constantFrom(' ', '(', ')', '<', '>', '@', ',', ';', '\\', '"', '/', '[', ']', '?', '=', '{', '}', '\t', 'é'));
const insertAt = (text: string, at: number, what: string): string => {
  const i = at % (text.length + 1);
  return text.slice(0, i) + what + text.slice(i);
};

const validHead = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
  path: fc.stringMatching(/^\/[A-Za-z0-9._~\-/]{0,20}$/),
  version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0'),
  fields: fc.array(fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/), fc.stringMatching(/^[ -~]{0,20}$/)), { maxLength: 4 }),
});

type Defect = (h: Head) => Head;

const defects: fc.Arbitrary<Defect> = fc.oneof(
  fc.tuple(notToken, fc.nat()).map(([c, at]): Defect => (h) => ({ ...h, method: insertAt(h.method, at, c) })),
  // RFC 9112 §3 lets a recipient split the request line on runs of whitespace, so an extra
  // space that only widens a gap is not malformed: the space is followed by more target.
  fc.tuple(fc.oneof(ctl, fc.constantFrom(' x', '\x7f')), fc.nat()).map(([c, at]): Defect => (h) => ({ ...h, target: insertAt(h.target, at + 1, c) })),
  fc.constantFrom('HTTP/1.2', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1', 'HTTP/11', 'http/1.1', 'HTTX/1.1', 'HTTP/1.1 x', '').map((version): Defect => (h) => ({ ...h, version })),
  fc.tuple(notToken, fc.nat()).map(([c, at]): Defect => (h) => ({ ...h, fields: [...h.fields, [insertAt('X-Bad', at, c), 'v']] })),
  fc.constant<Defect>((h) => ({ ...h, fields: [...h.fields, ['', 'no-name']] })),
  fc.tuple(fc.oneof(ctl, fc.constantFrom('\r', '\n\x00')), fc.nat()).map(([c, at]): Defect => (h) => ({ ...h, fields: [...h.fields, ['X-Value', insertAt(' abc', at + 1, c)]] })),
  // obs-fold: a field line continued on the next line.
  fc.constantFrom(' ', '\t').map((ws): Defect => (h) => ({ ...h, fields: [...h.fields, ['X-Fold', `a\r\n${ws}b`]] })),
  fc.constantFrom('\n', '\r').map((eol): Defect => (h) => ({ ...h, eol })),
  fc.constant<Defect>((h) => ({ ...h, fields: [[' X-Leading', 'space'], ...h.fields] })),
  fc
    .constantFrom<Array<[string, string]>>(
      [['Content-Length', ' 5'], ['Transfer-Encoding', ' chunked']],
      [['Content-Length', ' 1'], ['Content-Length', ' 1']],
      [['Content-Length', ' 1, 1']],
      [['Content-Length', ' +1']],
      [['Content-Length', ' -1']],
      [['Content-Length', ' 0x42']],
      [['Content-Length', ' ']],
      [['Content-Length', ' 010']],
      [['Content-Length ', ' 1']],
      [['Transfer-Encoding', ' gzip, chunked']],
      [['Transfer-Encoding', ' chunked, chunked']],
      [['Transfer-Encoding', ' chunked,gzip']],
      [['Transfer-Encoding', ' identity']],
      [['Transfer-Encoding', ' ']],
      [['Host', ' a.example'], ['Host', ' b.example']],
    )
    .map((framing): Defect => (h) => ({ ...h, fields: [...h.fields, ...framing] })),
);

/** Heads as latin1 text, so that a counterexample reads as what was sent. */
function malformedHead(target: (path: string) => string): fc.Arbitrary<string> {
  return fc.tuple(validHead, fc.array(defects, { minLength: 1, maxLength: 3 }), fc.nat()).map(([valid, chosen, nulAt]) => {
    const head: Head = { method: valid.method, target: target(valid.path), version: valid.version, fields: valid.fields, eol: '\r\n' };
    let text = render(chosen.reduce((h, defect) => defect(h), head));
    // Now and then a NUL somewhere before the final blank line, too.
    if (nulAt % 4 === 0) text = insertAt(text.slice(0, -2), nulAt, '\x00') + text.slice(-2);
    return text;
  });
}

// ---- CONNECT authorities that are not host:port.

const badAuthority = fc.oneof(
  fc.constantFrom('', ':443', 'api.example.com', 'api.example.com:', 'api.example.com:443:443', 'fe80::1:443', '[::1', '[::1]x:443', '[::1]:', '[api.example.com]:443'),
  fc.integer({ min: 65536, max: 9_999_999 }).map((port) => `api.example.com:${port}`),
  fc.constantFrom('0', '-1', '+443', '0x1bb', '44 3', 'abc', '١٢٣').map((port) => `api.example.com:${port}`),
  fc.stringMatching(/^[a-z]{1,8}(:[a-z]{1,8})?$/).map((userinfo) => `${userinfo}@api.example.com:443`),
  fc.tuple(fc.constantFrom('!', '*', '%', ',', '"', '<', '\x7f', '{'), fc.nat()).map(([c, at]) => `${insertAt('api.example.com', at, c)}:443`),
);

// ---- TLS-looking garbage: a handshake record header with any length, then random bytes.

const tlsGarbage = fc
  .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 600 }))
  .map(([minor, length, body]) => Buffer.concat([Buffer.from([0x16, 0x03, minor, length >> 8, length & 0xff]), body]));

// ---- The checks made after every generated input.

function upstreamBytes(): number {
  return plain.counts.bytes + plain.counts.clientErrors + secure.counts.bytes + secure.counts.clientErrors;
}

function expectNoErrorLogged(): void {
  // pino's error level is 50: an unexpected failure inside the proxy would be logged at it or above.
  expect(proxy.lines.filter((l) => l.level >= 50)).toEqual([]);
}

async function expectControlServed(): Promise<void> {
  const socket = await plainSocket();
  const status = await answerTo(socket, 'GET http://plain.example.net/control HTTP/1.1\r\nHost: plain.example.net\r\nConnection: close\r\n\r\n');
  expect(status).toBe(200);
  const tls = await tunnelSocket();
  expect(await answerTo(tls, 'GET /control HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n')).toBe(200);
}

async function fuzz<T>(arbitrary: fc.Arbitrary<T>, numRuns: number, run: (input: T) => Promise<number>): Promise<void> {
  const before = upstreamBytes();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      const status = await run(input);
      expect(status < 200 || status >= 300, `answered ${status}`).toBe(true);
      expect(upstreamBytes()).toBe(before);
    }),
    { numRuns, seed, endOnFailure: true },
  );
  expectNoErrorLogged();
  await expectControlServed();
}

describe(`fuzzing the listener (FUZZ_SEED=${seed})`, () => {
  it('malformed request heads on the proxy port are refused and never forwarded', async () => {
    await fuzz(malformedHead((path) => `http://plain.example.net${path}`), 100, async (bytes) => answerTo(await plainSocket(), bytes));
  });

  it('malformed request heads inside a decrypted tunnel are refused and never forwarded', async () => {
    await fuzz(malformedHead((path) => path), 60, async (bytes) => answerTo(await tunnelSocket(), bytes));
  });

  it('CONNECT authorities that are not host:port get no tunnel', async () => {
    await fuzz(badAuthority, 50, async (authority) =>
      answerTo(await plainSocket(), `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`),
    );
  });

  it('TLS-looking garbage after a CONNECT 200 is dropped', async () => {
    // Most of these wait out timeouts.handshake (a record announced longer than sent): fewer runs.
    await fuzz(tlsGarbage, 30, async (bytes) => {
      const tunnel = await connectThrough(proxy.port, 'api.example.com:443');
      expect(tunnel.status).toBe(200);
      // Whatever comes back is not an HTTP answer: count it as none.
      await answerTo(tunnel.socket, bytes);
      return 0;
    });
  });
});
