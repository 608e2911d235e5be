import { LRUCache } from 'lru-cache';
import type { Logger } from '../log/logger.js';
import { formatAuthority } from '../match/host.js';
import { otherPortsAdvice, rulesOnOtherPorts } from '../match/other-ports.js';
import type { ProxyContext } from './context.js';

/** Enough to name every host:port a client dials in a day; beyond it an old pair may be warned about again. */
const MAX_REMEMBERED = 1000;

/** The host:port pairs already looked at, per config: each gets at most one warning, in bounded memory. */
const seen = new WeakMap<ProxyContext, LRUCache<string, true>>();

/**
 * For a CONNECT no rule covers: when a rule matches the host on another port (a
 * rule on 8443, a client on 443), says so once, since otherwise the connection
 * only shows as a `tunnel` line and the certificate silently stays home.
 */
export function warnOnceIfRuleOnOtherPort(ctx: ProxyContext, log: Logger, host: string, port: number): void {
  let pairs = seen.get(ctx);
  if (pairs === undefined) {
    pairs = new LRUCache({ max: MAX_REMEMBERED });
    seen.set(ctx, pairs);
  }
  const key = formatAuthority(host, port);
  if (pairs.has(key)) return;
  pairs.set(key, true);
  const rules = rulesOnOtherPorts(ctx.matcher, host, port);
  if (rules.length === 0) return;
  log.warn({ host, port, rules: rules.map((rule) => rule.host) }, `no client certificate for ${key}: ${otherPortsAdvice(rules, port)}`);
}
