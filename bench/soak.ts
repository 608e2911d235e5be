/**
 * A bounded soak: the built CLI as a child process, loopback upstreams in this one,
 * and mixed traffic with faults for a while (60 s unless `--seconds N`). Prints the
 * proxy's RSS and open file descriptors (read from /proc/<pid>) and the latency of a
 * trivial request timed from outside (GET /healthz on a new connection every 250 ms,
 * which waits behind whatever holds the proxy's event loop), at the start and the end,
 * and whether each stayed flat within 10 %.
 *
 *   npx tsx bench/soak.ts [--seconds 60] [--workers 4]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { makeSelfSigned } from '../test/helpers/pki.js';
import { httpsViaProxy, readRawResponse, requestViaProxy, responseOf, tlsViaProxy } from '../test/helpers/proxy-client.js';
import { closedPort } from '../test/helpers/upstream.js';
import { writeBenchPki } from './pki.js';
import { rssKiB } from './process/proc-stats.js';
import { startService, waitForListeningLine } from './process/service.js';
import { median, quantile } from './stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 60;
const WORKERS = Number(process.argv[process.argv.indexOf('--workers') + 1]) || 4;
const IDLE_SECONDS = 2;
const FLAT = 0.1;

const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-soak-'));
const pki = writeBenchPki(dir);

/** The upstream: requires no certificate (tunnels arrive without one), echoes WebSockets, resets on /reset. */
const upstream = createHttpsServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey), requestCert: true, rejectUnauthorized: false }, (req, res) => {
  if (req.url === '/reset') {
    res.writeHead(200, { 'content-length': '100000' });
    res.write(Buffer.alloc(1000), () => req.socket.destroy());
    return;
  }
  if (req.url === '/big') {
    res.writeHead(200, { 'content-length': String(4 * 1024 * 1024) });
    res.end(Buffer.alloc(4 * 1024 * 1024));
    return;
  }
  req.resume();
  req.on('end', () => res.end('ok'));
});
upstream.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  socket.on('error', () => {});
  socket.pipe(socket);
});
upstream.on('tlsClientError', () => {});
const self = makeSelfSigned('impostor.example.com');
const impostor = createHttpsServer({ cert: self.certPem, key: self.keyPem }, (_req, res) => res.end());
impostor.on('tlsClientError', () => {});
const listen = (server: typeof upstream): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const upstreamPort = await listen(upstream);
const impostorPort = await listen(impostor);

const configFile = path.join(dir, 'config.yaml');
const at = (port: number): string => `127.0.0.1:${port}`;
writeFileSync(
  configFile,
  JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    ca: { dir: path.join(dir, 'ca') },
    upstream: {
      ca: [pki.serverCa],
      resolve: {
        'api.example.com:443': at(upstreamPort),
        'tunnel.example.net:443': at(upstreamPort),
        'impostor.example.com:443': at(impostorPort),
        'refused.example.com:443': at(await closedPort()),
      },
    },
    clientCertificates: [{ host: '*.example.com', cert: pki.clientCert, key: pki.clientKey }],
    timeouts: { idle: IDLE_SECONDS },
  }),
);
const proxy = startService({ name: 'mtls-proxy', command: process.execPath, args: [path.join(ROOT, 'dist', 'cli.js'), 'start', '-c', configFile], logFile: path.join(dir, 'proxy.log'), cwd: dir });
const proxyPort = await waitForListeningLine(proxy);
const ca = readFileSync(path.join(dir, 'ca', 'ca.crt'), 'utf8');
const serverCa = readFileSync(pki.serverCa, 'utf8');

const openFds = (): number => readdirSync(`/proc/${proxy.pid}/fd`).length;

/** One piece of traffic; each resolves once its exchange is over, failed or not. */
const kinds: Record<string, () => Promise<void>> = {
  async keepAlive() {
    const tls = await tlsViaProxy({ proxyPort, authority: 'api.example.com:443', ca });
    for (let i = 0; i < 20; i++) {
      const answer = readRawResponse(tls);
      tls.write('GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n');
      await answer;
    }
    tls.destroy();
  },
  async newConnection() {
    await httpsViaProxy({ proxyPort, authority: 'api.example.com:443', ca, path: '/' });
  },
  async tunnel() {
    // No rule for .net: passed through untouched, so the client checks the upstream's own name.
    await httpsViaProxy({ proxyPort, authority: 'tunnel.example.net:443', ca: serverCa, servername: 'bench.example.com', path: '/' });
  },
  async failing() {
    await httpsViaProxy({ proxyPort, authority: 'refused.example.com:443', ca, path: '/' });
    await httpsViaProxy({ proxyPort, authority: 'impostor.example.com:443', ca, path: '/' });
    await httpsViaProxy({ proxyPort, authority: 'api.example.com:443', ca, path: '/', headers: { host: 'other.example.com' } });
  },
  async wss() {
    const tls = await tlsViaProxy({ proxyPort, authority: 'api.example.com:443', ca });
    const answer = readRawResponse(tls, { noBody: true });
    tls.write('GET /chat HTTP/1.1\r\nHost: api.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await answer;
    const echoed = new Promise((resolve) => tls.once('data', resolve));
    tls.write('ping');
    await echoed;
    tls.destroy();
  },
  async clientAborts() {
    const { req, tls } = await requestViaProxy({ proxyPort, authority: 'api.example.com:443', ca, method: 'POST', path: '/', headers: { 'content-length': '1000000' } });
    req.on('error', () => {});
    req.write(Buffer.alloc(64 * 1024));
    await sleep(5);
    tls.destroy();
    const download = await requestViaProxy({ proxyPort, authority: 'api.example.com:443', ca, path: '/big' });
    download.req.on('error', () => {});
    const res = responseOf(download.req);
    download.req.end();
    await new Promise((resolve) => void res.then((r) => r.once('data', resolve), resolve));
    download.tls.destroy();
  },
  async upstreamResets() {
    const { req } = await requestViaProxy({ proxyPort, authority: 'api.example.com:443', ca, path: '/reset' });
    const res = await (req.end(), responseOf(req));
    await new Promise((resolve) => {
      res.on('data', () => {});
      res.once('end', resolve);
      res.once('error', resolve);
      res.once('aborted', resolve);
    });
  },
};

const counts = new Map<string, { ok: number; failed: number }>();
async function worker(until: number, offset: number): Promise<void> {
  const names = Object.keys(kinds);
  for (let i = offset; Date.now() < until; i++) {
    const name = names[i % names.length]!;
    const count = counts.get(name) ?? { ok: 0, failed: 0 };
    counts.set(name, count);
    try {
      await kinds[name]!();
      count.ok += 1;
    } catch {
      count.failed += 1;
    }
  }
}

/** GET /healthz on a new connection: its latency is the proxy's event-loop delay, plus a connection. */
function healthz(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: proxyPort, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(performance.now() - started));
    });
    req.once('error', reject);
    req.end();
  });
}

interface Sample {
  at: number;
  rssKiB: number;
  fds: number;
  healthzMs: number;
}

const samples: Sample[] = [];
async function sampler(until: number): Promise<void> {
  const t0 = Date.now();
  while (Date.now() < until) {
    samples.push({ at: (Date.now() - t0) / 1000, rssKiB: rssKiB(proxy.pid), fds: openFds(), healthzMs: await healthz() });
    await sleep(250);
  }
}

function summary(part: Sample[]): { rssMiB: number; fds: number; healthzMedianMs: number; healthzP99Ms: number } {
  return {
    rssMiB: median(part.map((s) => s.rssKiB)) / 1024,
    fds: median(part.map((s) => s.fds)),
    healthzMedianMs: median(part.map((s) => s.healthzMs)),
    healthzP99Ms: quantile(part.map((s) => s.healthzMs), 0.99),
  };
}

try {
  const idleFds = openFds();
  const idleRss = rssKiB(proxy.pid) / 1024;
  const until = Date.now() + seconds * 1000;
  await Promise.all([sampler(until), ...Array.from({ length: WORKERS }, (_, i) => worker(until, i))]);
  // Once idle for longer than timeouts.idle, every pooled and client socket should be gone.
  await sleep((IDLE_SECONDS + 1) * 1000);
  const afterFds = openFds();
  const afterRss = rssKiB(proxy.pid) / 1024;

  // The first fifth is warm-up (JIT, pools, leaves, V8 growing its heap to its working
  // size); start is the third tenth, end the last.
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const start = summary(samples.slice(2 * tenth, 3 * tenth));
  const end = summary(samples.slice(-tenth));
  const flat = (a: number, b: number, floor: number): boolean => b <= Math.max(a * (1 + FLAT), a + floor);
  const checks = {
    rss: flat(start.rssMiB, end.rssMiB, 0),
    fds: flat(start.fds, end.fds, 5),
    healthz: flat(start.healthzMedianMs, end.healthzMedianMs, 1),
    idleFds: flat(idleFds, afterFds, 5),
  };
  const row = (name: string, s: ReturnType<typeof summary>): string =>
    `| ${name} | ${s.rssMiB.toFixed(1)} | ${s.fds} | ${s.healthzMedianMs.toFixed(2)} | ${s.healthzP99Ms.toFixed(2)} |`;
  console.log(`soak: ${seconds} s, ${WORKERS} workers, node ${process.version}, ${os.cpus().length} CPUs`);
  console.log(`traffic: ${[...counts].map(([k, c]) => `${k} ${c.ok}${c.failed ? ` (+${c.failed} failed)` : ''}`).join(', ')}`);
  console.log('| phase | RSS MiB | fds | /healthz median ms | /healthz p99 ms |');
  console.log('|---|---|---|---|---|');
  console.log(`| idle before | ${idleRss.toFixed(1)} | ${idleFds} | | |`);
  console.log(row('start (3rd tenth)', start));
  console.log(row('end (last tenth)', end));
  console.log(`| idle after ${IDLE_SECONDS + 1} s | ${afterRss.toFixed(1)} | ${afterFds} | | |`);
  const tenths = Array.from({ length: 10 }, (_, i) => summary(samples.slice(i * tenth, (i + 1) * tenth)));
  console.log(`by tenth: RSS MiB ${tenths.map((t) => t.rssMiB.toFixed(0)).join(' ')}; fds ${tenths.map((t) => t.fds).join(' ')}; /healthz ms ${tenths.map((t) => t.healthzMedianMs.toFixed(1)).join(' ')}`);
  console.log(`flat within 10 %: ${Object.entries(checks).map(([k, v]) => `${k} ${v ? 'yes' : 'NO'}`).join(', ')}`);
  process.exitCode = Object.values(checks).every(Boolean) ? 0 : 1;
} finally {
  await proxy.stop();
  upstream.closeAllConnections();
  impostor.closeAllConnections();
  upstream.close();
  impostor.close();
  rmSync(dir, { recursive: true, force: true });
}
