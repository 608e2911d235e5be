import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { UpstreamPools } from '../../src/upstream/pools.js';
import { metricsWithoutRules } from '../helpers/metrics.js';
import { Routes, type UpstreamRoute } from '../../src/upstream/route.js';
import type { UpstreamCredentials } from '../../src/upstream/secure-contexts.js';

/** Answers at once, except /hold, which waits until released. */
const held: ServerResponse[] = [];
const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (req.url === '/hold') held.push(res);
  else res.end('ok');
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  port = (upstream.address() as AddressInfo).port;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

const metrics = metricsWithoutRules();
const logger = createLogger({ level: 'error', format: 'json', destination: { write: () => {} } });
const TIMEOUTS = { connect: 5, handshake: 5, response: 5, idle: 0.2 };

/** A plain-HTTP route to the loopback upstream under a name of its own (a pool each). */
function routeTo(name: string, credentials: UpstreamCredentials | null = null): UpstreamRoute {
  const config = parseConfig(`upstream:\n  resolve:\n    "${name}:80": "127.0.0.1:${port}"\n`, null, {});
  const route = new Routes(config, { get: () => null, ids: () => new Set() } as never).route(name, 80, false, null);
  return credentials ? { ...route, credentials, key: `${route.key}|${credentials.id}` } : route;
}

/** A GET through the route's pool (the proxy's Pool module has dispatch, not undici's request()). */
function get(pools: UpstreamPools, route: UpstreamRoute, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pools.get(route).dispatch(
      { method: 'GET', path, headers: { host: route.host } },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData: (_controller, chunk: Buffer) => void chunks.push(chunk),
        onResponseEnd: () => resolve(Buffer.concat(chunks).toString('utf8')),
        onResponseError: (_controller, err) => reject(err),
      },
    );
  });
}

/** Waits, at most a few seconds, for the pools to drop to `size`. */
async function sizeComesTo(pools: UpstreamPools, size: number): Promise<number> {
  for (let i = 0; i < 100 && pools.size !== size; i++) await sleep(50);
  return pools.size;
}

describe('UpstreamPools', () => {
  it('closes and drops a pool idle for timeouts.idle', async () => {
    const pools = new UpstreamPools({ timeouts: TIMEOUTS, logger, metrics });
    try {
      const routes = ['a.test', 'b.test', 'c.test'].map((name) => routeTo(name));
      for (const route of routes) expect(await get(pools, route)).toBe('ok');
      expect(pools.size).toBe(3);
      const first = pools.get(routes[0]!);
      expect(await sizeComesTo(pools, 0)).toBe(0);
      expect(first.closed).toBe(true);
      // A later request to the same upstream gets a new pool.
      expect(await get(pools, routes[0]!)).toBe('ok');
      expect(pools.size).toBe(1);
    } finally {
      await pools.close();
    }
  });

  it('keeps a pool whose request is still in flight, however long it takes', async () => {
    const pools = new UpstreamPools({ timeouts: TIMEOUTS, logger, metrics });
    try {
      const route = routeTo('slow.test');
      const answer = get(pools, route, '/hold');
      for (let i = 0; i < 100 && held.length === 0; i++) await sleep(20);
      // Several sweeps, each past the idle time of a pool that had no request.
      await sleep(TIMEOUTS.idle * 1000 * 4);
      expect(pools.size).toBe(1);
      held.shift()!.end('late');
      expect(await answer).toBe('late');
      expect(await sizeComesTo(pools, 0)).toBe(0);
    } finally {
      await pools.close();
    }
  });

  it('keeps at most maxPools, closing the least recently used', async () => {
    const pools = new UpstreamPools({ timeouts: { ...TIMEOUTS, idle: 60 }, logger, metrics, maxPools: 2 });
    try {
      const [a, b, c] = ['a.test', 'b.test', 'c.test'].map((name) => routeTo(name));
      await get(pools, a!);
      await get(pools, b!);
      const poolA = pools.get(a!);
      await get(pools, b!);
      await get(pools, c!);
      expect(pools.size).toBe(2);
      // a was used last before b: a goes, b stays.
      expect(poolA.closed).toBe(true);
      expect(pools.get(b!).closed).toBe(false);
    } finally {
      await pools.close();
    }
  });

  it('after a reload, drops the pools of credentials the new config no longer has', async () => {
    const pools = new UpstreamPools({ timeouts: { ...TIMEOUTS, idle: 60 }, logger, metrics });
    try {
      const credentials = (id: string): UpstreamCredentials => ({ id, trust: 'system roots', secureContext: () => createSecureContext({}) });
      const kept = routeTo('kept.test', credentials('kept'));
      const gone = routeTo('gone.test', credentials('gone'));
      const plain = routeTo('plain.test');
      for (const route of [kept, gone, plain]) await get(pools, route);
      const gonePool = pools.get(gone);
      pools.retain(new Set(['kept']), { ...TIMEOUTS, idle: 60 });
      expect(pools.size).toBe(2);
      expect(gonePool.closed).toBe(true);
      expect(pools.get(kept).closed).toBe(false);
      // New timeouts reach every pool: all are made anew.
      const keptPool = pools.get(kept);
      pools.retain(new Set(['kept']), { ...TIMEOUTS, idle: 30 });
      expect(pools.size).toBe(0);
      expect(keptPool.closed).toBe(true);
    } finally {
      await pools.close();
    }
  });
});
