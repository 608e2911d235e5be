import type { AdminEndpoint } from './endpoint.js';

/** Prometheus text format, from the process-wide metrics. */
export const metricsEndpoint: AdminEndpoint = {
  summary: 'Prometheus metrics (text format)',
  open: false,
  answer: async (ctx) => ({ contentType: ctx.metrics.contentType, body: await ctx.metrics.scrape(), headers: { 'cache-control': 'no-store' } }),
};
