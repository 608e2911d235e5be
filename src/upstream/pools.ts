import { createRequire } from 'node:module';
import type { Pool as UndiciPool } from 'undici';
import type { CertificateStore } from '../certs/store.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ProxyMetrics } from '../metrics/metrics.js';
import { createConnector, type Connector } from './connector.js';
import type { UpstreamRoute } from './route.js';
import { UpstreamSecureContexts } from './secure-contexts.js';
import { describeTrust } from './trust.js';
import { VerificationBackoff } from './verification.js';

// undici's index also loads fetch, WebSocket and caches, about 9 MiB of RSS the
// proxy never uses; its Pool module alone is the same class.
const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
type Pool = UndiciPool;

interface PoolEntry {
  readonly pool: Pool;
  readonly connector: Connector;
}

/**
 * Keep-alive pools, one per route key (host, port, address, identity, trust).
 * They outlive client connections, so a client that opens a connection per
 * request still reuses upstream sockets and TLS sessions.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, PoolEntry>();
  readonly #contexts: UpstreamSecureContexts;
  readonly #backoff = new VerificationBackoff();
  readonly #config: Config;
  readonly #logger: Logger;
  readonly #metrics: ProxyMetrics;

  constructor(config: Config, store: CertificateStore, logger: Logger, metrics: ProxyMetrics) {
    this.#config = config;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#contexts = new UpstreamSecureContexts(config, store);
  }

  get(route: UpstreamRoute): Pool {
    return this.#entry(route).pool;
  }

  /**
   * Called when a client's CONNECT is about to be decrypted: if the route has no
   * idle upstream connection, one is dialled now, during the client's handshake.
   * `started` runs once that dial has sent its first bytes (at once when none is
   * needed), so that work done there overlaps the upstream's side of the handshake.
   */
  prepare(route: UpstreamRoute, started: () => void): void {
    const { pool, connector } = this.#entry(route);
    if (pool.stats.free === 0) connector.warm(started);
    else started();
  }

  #entry(route: UpstreamRoute): PoolEntry {
    let entry = this.#pools.get(route.key);
    if (!entry) {
      entry = this.#create(route);
      this.#pools.set(route.key, entry);
    }
    return entry;
  }

  #create(route: UpstreamRoute): PoolEntry {
    const { timeouts } = this.#config;
    const connect = createConnector({
      route,
      ...(route.tls ? { secureContext: this.#contexts.get(route.rule?.index ?? -1) } : {}),
      connectTimeoutMs: timeouts.connect * 1000,
      handshakeTimeoutMs: timeouts.handshake * 1000,
      idleTimeoutMs: timeouts.idle * 1000,
      trust: describeTrust(this.#config, route.rule),
      backoff: this.#backoff,
      logger: this.#logger,
      ...(this.#config.log.keylog === undefined ? {} : { keylogFile: this.#config.log.keylog }),
      metrics: this.#metrics,
    });
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
    return { pool, connector: connect };
  }

  /** Ends every pool; requests in flight are aborted. */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.pool.destroy()));
  }

}
