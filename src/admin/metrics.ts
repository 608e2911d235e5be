import type { AdminEndpoint } from './endpoint.js';

/** Prometheus text format, from the process-wide metrics (with `workers` above 1, every worker's, aggregated). */
export const metricsEndpoint: AdminEndpoint = {
  summary: 'Prometheus metrics (text format)',
  open: false,
  answer: async (ctx) => ({
    contentType: ctx.metrics.contentType,
    body: await (ctx.cluster ? ctx.cluster.metrics() : ctx.metrics.scrape()),
    headers: { 'cache-control': 'no-store' },
  }),
};
