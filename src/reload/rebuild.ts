import type { Config } from '../config/types.js';
import { loadConfigParts, type ProxyContext } from '../proxy/context.js';

/**
 * A context for `config`: its config parts built anew (the leaves kept when the CA
 * is unchanged), and everything else (pools, logger, whatever else lives as long as
 * the process) carried over from `previous` untouched. Throws ConfigErrors.
 */
export async function rebuildContext(previous: ProxyContext, config: Config): Promise<ProxyContext> {
  return { ...previous, ...(await loadConfigParts(config, previous)) };
}
