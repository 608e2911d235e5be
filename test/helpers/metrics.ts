import { ProxyMetrics } from '../../src/metrics/metrics.js';

/** Metrics for code under test that has no client-certificate rules. */
export function metricsWithoutRules(): ProxyMetrics {
  return new ProxyMetrics(() => ({ rules: [], store: { identity: () => { throw new Error('no rules'); } } }));
}
