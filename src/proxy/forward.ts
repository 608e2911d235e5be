import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { ClientCertificateRule } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ProxyContext } from './context.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { classifyUpstreamError, proxyStatusHeader } from './proxy-status.js';
import { logRequest, newRequestId } from './request-log.js';
import { respondText } from './respond.js';

export interface ForwardTarget {
  host: string;
  port: number;
  tls: boolean;
  rule: ClientCertificateRule | null;
  /** Origin-form path (with query) sent upstream. */
  path: string;
  /** The Host header sent upstream: the client's, or the absolute-form authority. */
  hostHeader: string;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Relays one request to its upstream and the response back, streaming both bodies with backpressure. */
export function forwardRequest(ctx: ProxyContext, log: Logger, req: IncomingMessage, res: ServerResponse, target: ForwardTarget): void {
  const startedAt = performance.now();
  const id = newRequestId();
  const route = ctx.routes.route(target.host, target.port, target.tls, target.rule);
  res.once('close', () => {
    logRequest(ctx, log, route, {
      id,
      method: req.method,
      path: target.path,
      status: res.headersSent ? res.statusCode : null,
      startedAt,
      aborted: !res.writableFinished,
    });
  });

  const headers = endToEndHeaders(req.headers, ['expect', 'host']);
  headers.host = target.hostHeader;
  // A client that goes away mid-request must not leave its upstream socket to be reused.
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });

  const options: Dispatcher.RequestOptions = {
    method: req.method as Dispatcher.HttpMethod,
    path: target.path,
    headers: headers as Record<string, string | string[]>,
    body: hasBody(req) ? req : null,
    signal: abort.signal,
  };
  ctx.pools
    .get(route)
    .stream(options, ({ statusCode, headers: upstreamHeaders }) => {
      res.writeHead(statusCode, endToEndHeaders(upstreamHeaders));
      return res;
    })
    .catch((err: unknown) => {
      if (abort.signal.aborted) return;
      const failure = classifyUpstreamError(err, `${target.host}:${target.port}`, route.rule !== null);
      log.warn(
        { host: target.host, port: target.port, code: failure.details, error: failure.sentence },
        'upstream error',
      );
      if (res.headersSent) {
        // The client must see a broken response, never a clean-looking end.
        res.destroy();
        return;
      }
      respondText(res, failure.status, failure.sentence, { 'proxy-status': proxyStatusHeader(failure) });
    });
}
