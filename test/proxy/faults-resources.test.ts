import { readdirSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSigned } from '../helpers/pki.js';
import { readRawResponse, tlsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { closedPort } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml } from './fixtures.js';

/**
 * Failures leave nothing behind: after many failing requests of every kind, the
 * process's file descriptors and the upstream sockets come back to where they were
 * once idle connections have timed out.
 */

const REQUESTS = 1000;
const CONCURRENCY = 20;
const SLACK = 5;

/** Upstreams whose open sockets are counted: they hold what the proxy pools. */
const counted: Server[] = [];
let proxy: TestProxy;

function listen(server: Server): Promise<number> {
  counted.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  const pki = makeProxyPki();
  const reset = createHttpServer((req) => req.socket.destroy());
  const selfSigned = makeSelfSigned('impostor.example.com');
  const impostor = createHttpsServer({ cert: selfSigned.certPem, key: selfSigned.keyPem }, (_req, res) => res.end());
  impostor.on('tlsClientError', () => {});
  proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "refused.example.net:80": "127.0.0.1:${await closedPort()}"
    "reset.example.net:80": "127.0.0.1:${await listen(reset)}"
    "impostor.example.com:443": "127.0.0.1:${await listen(impostor)}"
timeouts:
  idle: 1
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`);
});

afterAll(async () => {
  await proxy?.close();
  for (const server of counted) server.closeAllConnections();
  await Promise.all(counted.map((s) => new Promise((resolve) => s.close(resolve))));
});

function plainSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function tunnel(host: string): Promise<Duplex> {
  return tlsViaProxy({ proxyPort: proxy.port, authority: `${host}:443`, ca: proxy.proxy.context.ca.certPem });
}

/** Each kind of failure: where it is sent, the raw request, and the status it must get. */
const kinds: Array<{ name: string; open: () => Promise<Duplex>; request: string; status: number }> = [
  { name: 'refused port', open: plainSocket, request: 'GET http://refused.example.net/ HTTP/1.1\r\nHost: refused.example.net\r\n\r\n', status: 502 },
  { name: 'reset', open: plainSocket, request: 'GET http://reset.example.net/ HTTP/1.1\r\nHost: reset.example.net\r\n\r\n', status: 502 },
  { name: 'TLS failure', open: () => tunnel('impostor.example.com'), request: 'GET / HTTP/1.1\r\nHost: impostor.example.com\r\n\r\n', status: 502 },
  { name: '421', open: () => tunnel('impostor.example.com'), request: 'GET / HTTP/1.1\r\nHost: elsewhere.example.com\r\n\r\n', status: 421 },
  { name: '400', open: plainSocket, request: 'POST http://reset.example.net/ HTTP/1.1\r\nHost: reset.example.net\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', status: 400 },
];

async function send(kind: (typeof kinds)[number]): Promise<number> {
  const stream = await kind.open();
  stream.on('error', () => {});
  const answer = readRawResponse(stream);
  stream.write(kind.request);
  try {
    return (await answer).status;
  } finally {
    stream.destroy();
  }
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

async function upstreamSockets(): Promise<number> {
  const counts = await Promise.all(counted.map((s) => new Promise<number>((resolve) => s.getConnections((_err, n) => resolve(n)))));
  return counts.reduce((a, b) => a + b, 0);
}

/** Polls until `read` is at most `limit`, for at most `ms`; returns the last reading. */
async function settle(read: () => number | Promise<number>, limit: number, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let value = await read();
  while (value > limit && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

describe('after many failing requests', () => {
  it('file descriptors and upstream sockets return to their baseline once idle', { timeout: 40_000 }, async () => {
    // A first round loads what is made once (modules, pools, the leaf, the back-off).
    for (const kind of kinds) expect(await send(kind), kind.name).toBe(kind.status);
    // Once the upstreams hold no socket, the pools' idle ones have timed out.
    const baseSockets = await settle(upstreamSockets, 0, 5000);
    const baseFds = openFds();

    const statuses = new Map<string, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < REQUESTS) {
        const kind = kinds[next++ % kinds.length]!;
        const status = await send(kind);
        statuses.set(`${kind.name} ${status}`, (statuses.get(`${kind.name} ${status}`) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(Object.fromEntries(statuses)).toEqual(Object.fromEntries(kinds.map((k) => [`${k.name} ${k.status}`, REQUESTS / kinds.length])));

    // timeouts.idle is 1 s: give idle sockets a few seconds to go.
    expect(await settle(openFds, baseFds + SLACK, 8000)).toBeLessThanOrEqual(baseFds + SLACK);
    expect(await settle(upstreamSockets, baseSockets + SLACK, 3000)).toBeLessThanOrEqual(baseSockets + SLACK);
  });
});
