import type { ProxyContext } from '../proxy/context.js';
import { logContextWarnings, type Proxy } from '../proxy/start.js';
import { restartNeeded } from './restart-keys.js';

/**
 * Puts `next` in place for new connections, then lets go of what only the old config
 * used: pools of identities or trust that changed close once their requests finish.
 */
export function swapContext(proxy: Proxy, next: ProxyContext): void {
  const previous = proxy.swap(next);
  const { logger, config } = next;
  next.pools.retain(next.credentialIds, config.timeouts);
  for (const key of restartNeeded(previous.config, config)) {
    logger.warn({ key }, `${key} changed; restart the proxy to apply it (the reload applied everything else)`);
  }
  logContextWarnings(next);
  logger.info({ rules: config.clientCertificates.length }, 'config reloaded');
  // Last, so that a new level of warn still lets the line above say that the reload happened.
  logger.level = config.log.level;
}
