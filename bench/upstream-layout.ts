/** What the upstream serves and where its files live; the same for nginx and the Node fallback. */

export const PATHS = {
  /** A tiny 200 response: the request-rate scenarios. */
  small: '/',
  /** `<verify result> <client subject>`: proves a client certificate arrived. */
  whoami: '/whoami',
  big: '/files/big.bin',
  /** The request's protocol as the upstream saw it (`HTTP/2.0`, `HTTP/1.1`): proves h2 reached it. */
  protocol: '/protocol',
} as const;

export interface UpstreamFiles {
  /** The upstream's own folder: config, logs, pid. */
  readonly dir: string;
  /** Served under /files/. */
  readonly filesDir: string;
}
