import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { MtlsProxyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { UpstreamRoute } from '../upstream/route.js';
import type { ProxyContext } from './context.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { formatAuthority } from '../match/host.js';
import { describeTcpTarget } from '../upstream/dial.js';
import { describeTrust } from '../upstream/trust.js';
import { classifyUpstreamError, proxyStatusHeader, type UpstreamFailure } from './proxy-status.js';
import { logRequest, newRequestId } from './request-log.js';
import { respondText } from './respond.js';

export interface ForwardTarget {
  route: UpstreamRoute;
  /** Origin-form path (with query) sent upstream. */
  path: string;
  /** The Host header sent upstream: the client's, or the absolute-form authority. */
  hostHeader: string;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * How much response body may wait for a slow client before the upstream is paused.
 * Pausing at the socket's 16 KiB mark stalled both sides once per TLS record.
 */
const RESPONSE_BUFFER = 256 * 1024;

/**
 * Streams an upstream response into the client's ServerResponse. Backpressure is
 * the client's: a full write pauses the upstream socket until 'drain'.
 */
class ResponseRelay implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | null = null;
  #clientGone = false;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#res.uncork();
  };
  readonly #res: ServerResponse;
  readonly #onError: (err: Error) => void;

  constructor(res: ServerResponse, onError: (err: Error) => void) {
    this.#res = res;
    this.#onError = onError;
  }

  /** The client left before the response was complete: the upstream request is aborted, its socket never pooled. */
  clientGone(): void {
    this.#clientGone = true;
    this.#controller?.abort(new MtlsProxyError('ERR_CLIENT_ABORTED', 'The client closed the connection.'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new MtlsProxyError('ERR_CLIENT_ABORTED', 'The client closed the connection.'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#res.writeHead(statusCode, endToEndHeaders(headers));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // TLS hands the body over in 16 KiB records; corking until the loop turns lets
    // one socket write carry all the records of one read instead of a write each.
    if (!this.#corked) {
      this.#corked = true;
      this.#res.cork();
      setImmediate(this.#uncork);
    }
    if (!this.#res.write(chunk) && this.#res.writableLength >= RESPONSE_BUFFER) {
      controller.pause();
      this.#res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.#res.end();
    // The whole response is written: no reason to wait for the loop to turn.
    if (this.#corked) this.#uncork();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (!this.#clientGone) this.#onError(err);
  }
}

/** Sorts an upstream failure for the client's answer, and logs the contract's `upstream error` line. */
export function upstreamFailure(ctx: ProxyContext, log: Logger, route: UpstreamRoute, err: Error): UpstreamFailure {
  const failure = classifyUpstreamError(err, formatAuthority(route.host, route.port), route.rule !== null, {
    ...describeTcpTarget(route.tcp),
    trust: describeTrust(ctx.config, route.rule),
  });
  log.warn({ host: route.host, port: route.port, code: failure.details, error: failure.sentence }, 'upstream error');
  ctx.metrics.upstreamError(failure.type);
  return failure;
}

/** Relays one request to its upstream and the response back, streaming both bodies with backpressure. */
export function forwardRequest(ctx: ProxyContext, log: Logger, req: IncomingMessage, res: ServerResponse, target: ForwardTarget): void {
  const startedAt = performance.now();
  const id = newRequestId();
  const { route } = target;
  let proxyStatus: string | undefined;

  const relay = new ResponseRelay(res, (err) => {
    const failure = upstreamFailure(ctx, log, route, err);
    proxyStatus = proxyStatusHeader(failure);
    if (res.headersSent) {
      // The client must see a broken response, never a clean-looking end.
      res.destroy();
      return;
    }
    respondText(res, failure.status, failure.sentence, { 'proxy-status': proxyStatus });
  });
  res.once('close', () => {
    const complete = res.writableFinished;
    if (!complete) relay.clientGone();
    logRequest(ctx, log, route, {
      id,
      method: req.method,
      path: target.path,
      status: res.headersSent ? res.statusCode : null,
      startedAt,
      aborted: !complete,
      proxyStatus,
      protocol: `http/${req.httpVersion}`,
    });
  });

  const headers = endToEndHeaders(req.headers, ['expect', 'host']);
  headers.host = target.hostHeader;
  ctx.pools.get(route).dispatch(
    {
      method: req.method as Dispatcher.HttpMethod,
      path: target.path,
      headers: headers as Record<string, string | string[]>,
      body: hasBody(req) ? req : null,
    },
    relay,
  );
}
