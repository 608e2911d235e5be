import type { AdminEndpoint } from './endpoint.js';

export const healthzEndpoint: AdminEndpoint = {
  summary: 'liveness: {"status":"ok"}',
  open: true,
  answer: () => ({ contentType: 'application/json', body: '{"status":"ok"}', headers: { 'cache-control': 'no-store' } }),
};
