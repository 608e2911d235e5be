import type { Config } from '../config/types.js';
import type { ProxyContext } from '../proxy/context.js';
import { logContextWarnings, type Announced, type Proxy } from '../proxy/start.js';
import { restartNeeded } from './restart-keys.js';

/**
 * Puts `next` in place for new connections, then lets go of what only the old config
 * used: pools of identities or trust that changed close once their requests finish.
 * Returns the context replaced.
 */
export function swapContext(proxy: Proxy, next: ProxyContext): ProxyContext {
  const previous = proxy.swap(next);
  next.pools.retain(next.credentialIds, next.config.timeouts);
  return previous;
}

/** What a reload tells the user, once the new config is in place, and its log level applied. */
export function announceReload(previous: Config, next: Announced, extra: Record<string, unknown> = {}): void {
  const { logger, config } = next;
  for (const key of restartNeeded(previous, config)) {
    logger.warn({ key }, `${key} changed; restart the proxy to apply it (the reload applied everything else)`);
  }
  logContextWarnings(next);
  logger.info({ rules: config.clientCertificates.length, ...extra }, 'config reloaded');
  // Last, so that a new level of warn still lets the line above say that the reload happened.
  logger.level = config.log.level;
}
