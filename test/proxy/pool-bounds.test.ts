import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, tempDir, type RunningCli } from '../helpers/cli.js';
import { heapUsedAfterGc, INSPECT_ON_LOOPBACK } from '../helpers/inspector.js';

/** Distinct upstream names asked for, each a pool of its own. */
const NAMES = 20_000;
const CONCURRENCY = 32;
/** Warm-up requests before the baseline is read, so that it includes what any request loads. */
const WARM_UP = 200;

const { dir, remove } = tempDir('pool-bounds');
const upstream = createServer((_req, res) => res.end('ok'));
let cli: RunningCli | undefined;

beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  // A failed assertion must not leave a proxy running.
  cli?.child.kill('SIGKILL');
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
  remove();
});

function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/** Absolute-form GETs for http://n<from..to>.pool.test/, CONCURRENCY at a time over keep-alive connections. */
async function requestNames(proxyPort: number, from: number, to: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = from;
  const one = (name: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxyPort, agent, path: `http://${name}/`, headers: { host: name } }, (res) => {
        res.resume();
        res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${name}: ${res.statusCode}`))));
      });
      req.once('error', reject);
      req.end();
    });
  const worker = async (): Promise<void> => {
    while (next < to) await one(`n${next++}.pool.test`);
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    agent.destroy();
  }
}

describe('upstream pools', () => {
  it(`do not grow the process for ${NAMES} never-seen names: idle pools are dropped`, async () => {
    const { port } = upstream.address() as AddressInfo;
    const resolve = Array.from({ length: NAMES }, (_, i) => `    "n${i}.pool.test:80": "127.0.0.1:${port}"\n`).join('');
    writeFileSync(path.join(dir, 'config.yaml'), `listen:\n  port: 0\ntimeouts:\n  idle: 1\nupstream:\n  resolve:\n${resolve}`);
    cli = startCli(['start'], { cwd: dir, env: INSPECT_ON_LOOPBACK });
    const proxyPort = (await cli.waitForLog('listening')).port as number;
    const pid = cli.child.pid!;

    await requestNames(proxyPort, 0, WARM_UP);
    // Past timeouts.idle and a sweep: the warm-up's pools are gone too. (The config
    // loader's child process starts an inspector too, after the proxy's.)
    await sleep(2500);
    const baseline = { heap: await heapUsedAfterGc(cli.stderr()), rss: rssKiB(pid) };
    await requestNames(proxyPort, WARM_UP, NAMES);
    const peak = { heap: await heapUsedAfterGc(cli.stderr()), rss: rssKiB(pid) };
    // Past timeouts.idle and a sweep, the pools are gone: what the heap still holds after
    // a collection is back near the baseline. RSS is reported, and only bounded loosely:
    // malloc keeps freed pages for reuse, so it comes down late and by a varying amount.
    await sleep(2500);
    const after = { heap: await heapUsedAfterGc(cli.stderr()), rss: rssKiB(pid) };
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    console.log(
      `proxy heap after GC: ${mib(baseline.heap)} MiB at the baseline, ${mib(peak.heap)} MiB after ${NAMES} names, ${mib(after.heap)} MiB once their pools were idle; ` +
        `RSS ${baseline.rss}, ${peak.rss}, ${after.rss} KiB`,
    );
    expect(after.heap).toBeLessThanOrEqual(baseline.heap * 1.2);
    expect(after.rss).toBeLessThanOrEqual(baseline.rss * 1.5);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 120_000);
});
