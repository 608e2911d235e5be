import { LRUCache } from 'lru-cache';
import type { Pool as UndiciPool } from 'undici';
import Pool from 'undici/lib/dispatcher/pool.js';
import type { TimeoutsConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ActivityFeed } from '../feed/feed.js';
import type { ProxyMetrics } from '../metrics/metrics.js';
import { H2Upstream } from '../h2/upstream-session.js';
import { formatAuthority } from '../match/host.js';
import { createConnector, type Connector, type ConnectorOptions } from './connector.js';
import { dialTcp } from './dial.js';
import { PredialledSockets } from './predialled.js';
import type { UpstreamRoute } from './route.js';
import { VerificationBackoff } from './verification.js';

type Pool = UndiciPool;

/**
 * How many upstreams keep a pool at once. Each costs some 20 KiB with its socket and
 * TLS session; a client that asks for ever new names evicts the least recently used.
 */
const DEFAULT_MAX_POOLS = 2000;

export interface UpstreamPoolsOptions {
  timeouts: TimeoutsConfig;
  logger: Logger;
  metrics: ProxyMetrics;
  /** Where each new upstream TLS connection is shown to the console; none in tests that do not look. */
  feed?: ActivityFeed;
  keylogFile?: string | undefined;
  maxPools?: number;
}

interface PoolEntry {
  readonly pool: Pool;
  readonly connector: Connector;
  /** The route's h2 session, for clients that speak h2. */
  readonly h2: H2Upstream;
  /** TCP connections dialled as CONNECTs arrive, for either kind of connection. */
  readonly predialled: PredialledSockets;
  /** Null for plain HTTP. */
  readonly credentialsId: string | null;
  /** performance.now() of the last request, or of the last sweep that found the pool busy. */
  lastUsed: number;
}

function isBusy({ pool, h2 }: PoolEntry): boolean {
  const stats = pool.stats;
  return stats.size + stats.queued > 0 || h2.busy;
}

/**
 * Keep-alive pools, one per route key (host, port, address, identity, trust).
 * They outlive client connections, so a client that opens a connection per request
 * still reuses upstream sockets and TLS sessions; and they outlive a reload, so a
 * route whose identity and trust did not change stays warm. A pool idle for
 * timeouts.idle is closed and dropped, and there are at most `maxPools`.
 */
export class UpstreamPools {
  readonly #pools: LRUCache<string, PoolEntry>;
  readonly #backoff = new VerificationBackoff();
  readonly #logger: Logger;
  readonly #metrics: ProxyMetrics;
  readonly #feed: ActivityFeed | undefined;
  /** log.keylog, read once at start: the key log file is opened and announced then. */
  readonly #keylogFile: string | undefined;
  #timeouts: TimeoutsConfig;
  #sweeper: NodeJS.Timeout;
  #closing = false;

  constructor(options: UpstreamPoolsOptions) {
    this.#timeouts = options.timeouts;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#feed = options.feed;
    this.#keylogFile = options.keylogFile;
    this.#pools = new LRUCache<string, PoolEntry>({
      max: options.maxPools ?? DEFAULT_MAX_POOLS,
      // Evicted, idle or retired: requests in flight finish, then its sockets close.
      dispose: (entry) => {
        if (this.#closing) return;
        void entry.pool.close().catch(() => {});
        entry.h2.close();
        entry.predialled.close();
      },
    });
    this.#sweeper = this.#startSweeper();
  }

  /** How many pools are open. */
  get size(): number {
    return this.#pools.size;
  }

  get(route: UpstreamRoute): Pool {
    return this.#entry(route).pool;
  }

  /** The route's HTTP/1.1 connector, for a request its pool cannot send (one with trailers). */
  connector(route: UpstreamRoute): Connector {
    return this.#entry(route).connector;
  }

  /** The route's h2 upstream: the same route key, hence the same identity, as its pool. */
  h2(route: UpstreamRoute): H2Upstream {
    return this.#entry(route).h2;
  }

  /**
   * Called as a CONNECT is answered, before its client's ClientHello: a route with
   * no idle or spare connection and no h2 session has a TCP connection dialled
   * now, while the client prepares its ClientHello; prepare() then starts the TLS
   * on it at once. The function returned closes it if no dial took it (the client
   * sent no ClientHello).
   */
  predial(route: UpstreamRoute): () => void {
    const { pool, connector, h2, predialled } = this.#entry(route);
    const label = formatAuthority(route.host, route.port);
    if (pool.stats.free > 0 || connector.hasSpare() || h2.dialled || (route.rule && this.#backoff.active(label, Date.now()))) return () => {};
    return predialled.add(dialTcp(route.tcp, this.#timeouts.connect * 1000, label));
  }

  /**
   * Called when a client's TLS handshake with the proxy begins: the upstream
   * connection its requests will need is dialled now, during that handshake. A
   * client that offers h2 gets the route's h2 session (none when one is open),
   * unless the server is known to speak only http/1.1; any other client gets an
   * HTTP/1.1 connection, unless one is idle.
   */
  prepare(route: UpstreamRoute, clientOffersH2: boolean): void {
    const { pool, connector, h2 } = this.#entry(route);
    if (clientOffersH2 && !h2.http1) h2.warm();
    else if (pool.stats.free === 0) connector.warm();
  }

  /**
   * After a reload: pools whose credentials the new config no longer uses are closed
   * once their requests finish, so new connections present the new certificate; and
   * new timeouts apply to every pool made from now on, so every existing one goes.
   */
  retain(credentialIds: ReadonlySet<string>, timeouts: TimeoutsConfig): void {
    const sameTimeouts = (Object.keys(timeouts) as Array<keyof TimeoutsConfig>).every((k) => timeouts[k] === this.#timeouts[k]);
    if (!sameTimeouts) {
      this.#timeouts = timeouts;
      clearInterval(this.#sweeper);
      this.#sweeper = this.#startSweeper();
    }
    for (const [key, entry] of [...this.#pools.entries()]) {
      if (!sameTimeouts || (entry.credentialsId !== null && !credentialIds.has(entry.credentialsId))) this.#pools.delete(key);
    }
  }

  #entry(route: UpstreamRoute): PoolEntry {
    let entry = this.#pools.get(route.key);
    if (!entry) {
      entry = this.#create(route);
      this.#pools.set(route.key, entry);
    }
    entry.lastUsed = performance.now();
    return entry;
  }

  #create(route: UpstreamRoute): PoolEntry {
    const timeouts = this.#timeouts;
    const predialled = new PredialledSockets(timeouts.handshake * 1000);
    const options: ConnectorOptions = {
      route,
      predialled,
      ...(route.credentials ? { secureContext: route.credentials.secureContext() } : {}),
      connectTimeoutMs: timeouts.connect * 1000,
      handshakeTimeoutMs: timeouts.handshake * 1000,
      idleTimeoutMs: timeouts.idle * 1000,
      trust: route.credentials?.trust ?? '',
      backoff: this.#backoff,
      logger: this.#logger,
      ...(this.#keylogFile === undefined ? {} : { keylogFile: this.#keylogFile }),
      metrics: this.#metrics,
      ...(this.#feed ? { feed: this.#feed } : {}),
    };
    const connect = createConnector(options);
    // A server that answers the h2 offer with http/1.1 gives the pool its first connection.
    const h2 = new H2Upstream(() => createConnector({ ...options, alpn: ['h2', 'http/1.1'] }), timeouts.idle * 1000, (socket) => connect.adopt(socket));
    const host = route.host.includes(':') ? `[${route.host}]` : route.host;
    const pool = new Pool(`${route.tls ? 'https' : 'http'}://${host}:${route.port}`, {
      connect,
      pipelining: 1,
      keepAliveTimeout: timeouts.idle * 1000,
      keepAliveMaxTimeout: timeouts.idle * 1000,
      headersTimeout: timeouts.response * 1000,
      bodyTimeout: timeouts.idle * 1000,
      maxHeaderSize: 64 * 1024,
    });
    return { pool, connector: connect, h2, predialled, credentialsId: route.credentials?.id ?? null, lastUsed: 0 };
  }

  /** Drops the pools idle for timeouts.idle; a busy pool counts as used now. */
  #startSweeper(): NodeJS.Timeout {
    const idleMs = this.#timeouts.idle * 1000;
    const sweeper = setInterval(() => {
      const now = performance.now();
      for (const [key, entry] of [...this.#pools.entries()]) {
        if (isBusy(entry)) entry.lastUsed = now;
        else if (now - entry.lastUsed >= idleMs) this.#pools.delete(key);
      }
    }, Math.max(100, idleMs / 2));
    sweeper.unref();
    return sweeper;
  }

  /** Ends every pool; requests in flight are aborted. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#closing = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    for (const entry of pools) {
      entry.h2.destroy();
      entry.predialled.close();
    }
    await Promise.all(pools.map((p) => p.pool.destroy()));
  }
}
