/**
 * `/metrics` with `workers` above 1: prom-client's AggregatorRegistry in the primary
 * asks every worker for its metrics over the cluster's IPC channel and sums them
 * (the expiry gauge, the same in every worker, is taken from the first).
 */
import { AggregatorRegistry } from 'prom-client';
import type { ProxyMetrics } from './metrics.js';

/** In the primary: every connected worker's metrics, aggregated, in Prometheus text format. */
export function clusterScraper(): () => Promise<string> {
  const aggregator = new AggregatorRegistry();
  return () => aggregator.clusterMetrics();
}

/**
 * In a worker, as soon as it runs: answers the primary's requests, with no metrics
 * until `share` hands over the proxy's (a worker that never answered would make every
 * scrape wait for prom-client's five-second timeout).
 */
export function answerClusterScrapes(): { share(metrics: ProxyMetrics): void } {
  AggregatorRegistry.setRegistries([]);
  // Its constructor is what installs the worker's listener for the primary's requests.
  new AggregatorRegistry();
  return { share: (metrics) => AggregatorRegistry.setRegistries(metrics.registry) };
}
