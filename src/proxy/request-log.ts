import type { Logger } from '../log/logger.js';
import type { ProxyContext } from './context.js';
import type { UpstreamRoute } from '../upstream/route.js';

let nextRequestId = 0;

export function newRequestId(): string {
  return String(++nextRequestId);
}

/** Strips the query string: it may carry tokens. */
function logPath(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

export interface RequestLogEntry {
  id: string;
  method: string | undefined;
  path: string;
  status: number | null;
  startedAt: number;
  aborted?: boolean;
  /** The Proxy-Status header of an answer for an upstream failure. */
  proxyStatus?: string;
  /** What the client spoke: http/1.1 or h2. */
  protocol?: string;
  /** What the upstream spoke, when the two sides may differ (h2 clients). */
  upstreamProtocol?: string;
}

/** The contract's `request` line, and the same request in the console's feed. */
export function logRequest(ctx: ProxyContext, log: Logger, route: UpstreamRoute, entry: RequestLogEntry): void {
  const durationMs = performance.now() - entry.startedAt;
  ctx.metrics.request(route.rule?.host ?? null, entry.status, durationMs / 1000);
  const fields = {
    id: entry.id,
    method: entry.method ?? '',
    host: route.host,
    port: route.port,
    path: logPath(entry.path),
    status: entry.status,
    durationMs: Math.round(durationMs * 100) / 100,
    clientCert: route.rule ? ctx.store.identity(route.rule.index).summary.fingerprint256 : null,
    rule: route.rule?.host ?? null,
    ...(entry.protocol === undefined ? {} : { protocol: entry.protocol }),
    ...(entry.upstreamProtocol === undefined ? {} : { upstreamProtocol: entry.upstreamProtocol }),
    ...(entry.aborted ? { aborted: true } : {}),
  };
  log.info(fields, 'request');
  ctx.feed.push({ kind: 'request', time: Date.now(), ...fields, ...(entry.proxyStatus ? { proxyStatus: entry.proxyStatus } : {}) });
}
