import type { AdminEndpoint } from './endpoint.js';

const NO_STORE = { 'cache-control': 'no-store' };

/** Up while every worker is: with `workers` above 1, a worker down (until its replacement listens) fails the check. */
export const healthzEndpoint: AdminEndpoint = {
  summary: 'liveness: {"status":"ok"}',
  open: true,
  answer: async (ctx) => {
    const down = (await ctx.cluster?.downWorkers()) ?? null;
    if (down !== null) return { status: 503, contentType: 'text/plain; charset=utf-8', body: `${down}\n`, headers: NO_STORE };
    return { contentType: 'application/json', body: '{"status":"ok"}', headers: NO_STORE };
  },
};
