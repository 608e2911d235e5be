import { expiringCertificates } from '../certs/expiry.js';
import { loadCertificateStore } from '../certs/store.js';
import type { Config } from '../config/types.js';
import { openKeyLog } from '../log/keylog.js';
import type { Logger } from '../log/logger.js';
import { HostMatcher } from '../match/matcher.js';
import { riskyPattern } from '../match/risky-patterns.js';
import { ProxyMetrics } from '../metrics/metrics.js';
import { caWarnings, loadOrCreateCa } from '../tls/ca.js';
import { LeafContexts } from '../tls/leaf-cache.js';
import { UpstreamPools } from '../upstream/pools.js';
import { Routes } from '../upstream/route.js';
import { AccessControl } from './access.js';
import type { ProxyContext } from './context.js';
import { startProxyServer, type RunningProxy } from './server.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface Proxy extends RunningProxy {
  readonly context: ProxyContext;
}

/** Loads every certificate and the CA (throwing ConfigErrors on failure), then listens. */
export async function startProxy(config: Config, logger: Logger): Promise<Proxy> {
  const store = await loadCertificateStore(config);
  if (config.log.keylog !== undefined) openKeyLog(config.log.keylog, config.file);
  const ca = await loadOrCreateCa(config.ca, config.file);
  // The expiry gauge reads the context in force when scraped.
  const metrics = new ProxyMetrics(() => ({ rules: context.config.clientCertificates, store: context.store }));
  const context: ProxyContext = {
    config,
    access: new AccessControl(config.listen),
    store,
    ca,
    matcher: new HostMatcher(config.clientCertificates),
    leaves: new LeafContexts(ca),
    routes: new Routes(config),
    pools: new UpstreamPools(config, store, logger, metrics),
    logger,
    metrics,
  };
  context.leaves.warmUp();
  const server = await startProxyServer(context);

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
  const logExpiring = (): void => {
    for (const entry of expiringCertificates(config, store)) logger.warn(entry, 'certificate expiring');
  };
  logExpiring();
  const daily = setInterval(logExpiring, DAY_MS);
  daily.unref();

  logger.info({ host: server.host, port: server.port, caCert: ca.certPath, rules: config.clientCertificates.length, config: config.file }, 'listening');
  return {
    ...server,
    context,
    close: async () => {
      clearInterval(daily);
      await server.close();
      await context.pools.close();
    },
  };
}
