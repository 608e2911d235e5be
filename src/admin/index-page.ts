import type { AdminEndpoint } from './endpoint.js';

/** Until the console exists: what this is, and the pages it serves. */
export function indexEndpoint(endpoints: ReadonlyMap<string, AdminEndpoint>): AdminEndpoint {
  return {
    summary: 'this page',
    open: false,
    answer: () => ({
      contentType: 'text/plain; charset=utf-8',
      body: [
        'mtls-proxy: a forward HTTPS proxy that lends client certificates (mTLS) to the programs that use it.',
        'Set it as your HTTP and HTTPS proxy and trust its CA. It serves these pages itself:',
        '',
        ...[...endpoints].map(([path, endpoint]) => `  ${path.padEnd(12)}${endpoint.summary}${endpoint.open ? '' : ' (listen.auth credentials)'}`),
        '',
      ].join('\n'),
    }),
  };
}
