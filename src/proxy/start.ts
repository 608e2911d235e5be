import { expiringCertificates } from '../certs/expiry.js';
import type { Config } from '../config/types.js';
import { ActivityFeed } from '../feed/feed.js';
import { openKeyLog } from '../log/keylog.js';
import type { Logger } from '../log/logger.js';
import { riskyPattern } from '../match/risky-patterns.js';
import { ProxyMetrics } from '../metrics/metrics.js';
import { caWarnings } from '../tls/ca.js';
import { UpstreamPools } from '../upstream/pools.js';
import { loadConfigParts, type ClusterView, type ContextHolder, type ProxyContext } from './context.js';
import { startProxyServer, type RunningProxy } from './server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface Proxy extends Omit<RunningProxy, 'refresh'> {
  /** The context new connections get. */
  readonly context: ProxyContext;
  /** Gives connections accepted from now on `next`; open ones keep theirs. Returns the context replaced. */
  swap(next: ProxyContext): ProxyContext;
}

/** What the start and reload lines are about: a config, its certificates, the CA, and where to say it. */
export type Announced = Pick<ProxyContext, 'config' | 'store' | 'ca' | 'logger'>;

/** What start says about a context's config and certificates; a reload says it again for the new one. */
export function logContextWarnings(ctx: Announced): void {
  const { config, store, ca, logger } = ctx;
  for (const message of config.loadWarnings ?? []) logger.warn({ config: config.file }, message);
  if (ca.created) logger.info({ caCert: ca.certPath }, 'created a new CA; clients must trust it (mtls-proxy ca tells how)');
  for (const message of caWarnings(ca)) logger.warn({ caCert: ca.certPath }, message);
  for (const rule of config.clientCertificates) {
    // Expiry has its own line (certificate expiring); the identity's other warnings are logged here.
    for (const message of store.identity(rule.index).warnings) logger.warn({ rule: rule.host }, message);
    if (rule.verify === false) logger.warn({ rule: rule.host }, 'upstream certificate verification is off for this rule');
    const risky = riskyPattern(rule.host);
    if (risky) logger.warn({ rule: rule.host }, risky.message);
  }
  if (config.log.keylog !== undefined) {
    logger.warn({ file: config.log.keylog }, 'TLS secrets of both sides are written to the key log file; anyone holding it can decrypt the traffic');
  }
  if (config.upstream.verify === false) logger.warn('upstream certificate verification is off (upstream.verify: false)');
  if (config.clientCertificates.length === 0) {
    logger.warn('no clientCertificates rules: every CONNECT is tunnelled untouched; add a rule to config.yaml (see config.example.yaml)');
  }
  logExpiring(ctx);
}

function logExpiring({ config, store, logger }: Announced): void {
  for (const entry of expiringCertificates(config, store)) logger.warn(entry, 'certificate expiring');
}

/** Logs `certificate expiring` once a day for whichever certificates are current that day (a reload may have brought new ones). */
export function logExpiringDaily(current: () => Announced): () => void {
  const daily = setInterval(() => logExpiring(current()), DAY_MS);
  daily.unref();
  return () => clearInterval(daily);
}

export interface StartOptions {
  /**
   * Set in a cluster worker, which serves beside others: the primary says the start
   * lines (warnings, `listening`, daily expiry) once for all of them.
   */
  readonly cluster?: ClusterView;
}

/** The contract's `listening` line; `extra` adds fields such as the number of workers. */
export function logListening({ config, ca, logger }: Announced, at: { host: string; port: number }, extra: Record<string, unknown> = {}): void {
  logger.info({ host: at.host, port: at.port, caCert: ca.certPath, rules: config.clientCertificates.length, config: config.file, ...extra }, 'listening');
}

/** Loads every certificate and the CA (throwing ConfigErrors on failure), then listens. */
export async function startProxy(config: Config, logger: Logger, options: StartOptions = {}): Promise<Proxy> {
  const parts = await loadConfigParts(config);
  if (config.log.keylog !== undefined) openKeyLog(config.log.keylog, config.file);
  // The expiry gauge reads whichever context is current when scraped.
  const metrics = new ProxyMetrics(() => ({ rules: holder.current.config.clientCertificates, store: holder.current.store }));
  const feed = new ActivityFeed();
  const holder: ContextHolder = {
    current: {
      ...parts,
      pools: new UpstreamPools({ timeouts: config.timeouts, logger, metrics, feed, keylogFile: config.log.keylog }),
      logger,
      metrics,
      feed,
      keylogFile: config.log.keylog,
      ...(options.cluster ? { cluster: options.cluster } : {}),
    },
  };
  const server = await startProxyServer(holder);
  let stopDaily = (): void => {};
  if (!options.cluster) {
    logContextWarnings(holder.current);
    stopDaily = logExpiringDaily(() => holder.current);
    logListening(holder.current, server);
  }
  return {
    host: server.host,
    port: server.port,
    get context() {
      return holder.current;
    },
    swap: (next) => {
      const previous = holder.current;
      holder.current = next;
      server.refresh();
      return previous;
    },
    close: async () => {
      stopDaily();
      await server.close();
      await holder.current.pools.close();
    },
  };
}
