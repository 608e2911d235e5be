import { idleConnections, download, startRss } from './memory.js';
import { firstHost, newHostBurst } from './new-hosts.js';
import { h2Streams, keepAlive, latency, newConnection, warmUp } from './request-rate.js';
import type { Scenario } from './types.js';

export { newHostsNeeded } from './new-hosts.js';

/** Not in SCENARIOS: read before any traffic, even before the client-certificate check. */
export { startRss };

/**
 * In run order. Idle connections first: once other load has grown the heap,
 * new connections reuse freed pages and the RSS delta understates their cost.
 * Then the warm-up, so that JIT-compiling peers are timed warm. The download
 * last, as it leaves the most memory behind.
 */
export const SCENARIOS: readonly Scenario[] = [idleConnections, warmUp, latency, keepAlive, h2Streams, newConnection, firstHost, newHostBurst, download];
