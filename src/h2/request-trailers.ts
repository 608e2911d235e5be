import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Dispatcher } from 'undici';
import { MtlsProxyError } from '../errors.js';
import { endToEndHeaders } from '../proxy/hop-by-hop.js';
import type { Connector } from '../upstream/connector.js';

/**
 * Fields a trailer section must not carry (RFC 9110 §6.5.1): framing, routing,
 * request modifiers, authentication and content metadata, which the server
 * reads before the body.
 */
const NOT_IN_TRAILERS = [
  'authorization',
  'cache-control',
  'content-encoding',
  'content-length',
  'content-range',
  'content-type',
  'cookie',
  'expect',
  'host',
  'max-forwards',
  'pragma',
  'range',
];

export interface TrailedRequest {
  method: string;
  path: string;
  /** The HTTP/1.1 head made from the h2 one, with Host. */
  headers: Record<string, string | string[]>;
  /** The client's Trailer field: the names its trailers will have. */
  trailer: string | string[];
}

/**
 * Sends an h2 request that declared trailers (a Trailer field, RFC 9110 §6.6.2)
 * to an HTTP/1.1-only server: chunked, on a connection of its own from the
 * route's connector (hence the route's certificate), with `trailers()`, read once
 * the body ended, after the last chunk; undici's pools end a chunked body with
 * none. The response goes to `handler` as undici would give it, so it reaches
 * the client the same way. Returns what ends the request early (timeouts.response).
 */
export function dispatchWithTrailers(
  connector: Connector,
  request: TrailedRequest,
  downstream: ServerHttp2Stream,
  trailers: () => IncomingHttpHeaders,
  handler: Dispatcher.DispatchHandler,
  idleMs: number,
): () => void {
  const headers: Record<string, string | string[]> = { ...request.headers, 'transfer-encoding': 'chunked', trailer: request.trailer };
  // Chunked framing replaces any length the client gave (RFC 9112 §6.1).
  delete headers['content-length'];
  const req = httpRequest({
    method: request.method,
    path: request.path,
    headers,
    // No agent: one request, then the connection closes, as nothing else can reuse it.
    createConnection: (_options, done) => {
      connector.open().then(
        (socket) => done(null, socket),
        // Node reads no socket when given an error; its type asks for one anyway.
        (err: Error) => done(err, undefined as never),
      );
      return undefined;
    },
  });
  let response: IncomingMessage | null = null;
  let finished = false;
  let paused = false;
  let reason: Error | null = null;
  const controller: Dispatcher.DispatchController = {
    get aborted() {
      return reason !== null;
    },
    get paused() {
      return paused;
    },
    get reason() {
      return reason;
    },
    abort: (err) => {
      reason = err;
      finished = true;
      req.destroy(err);
    },
    pause: () => {
      paused = true;
      response?.pause();
    },
    resume: () => {
      paused = false;
      response?.resume();
    },
  };
  const fail = (err: Error): void => {
    if (finished) return;
    finished = true;
    req.destroy();
    handler.onResponseError?.(controller, err);
  };
  req.once('error', fail);
  // As undici's bodyTimeout (the head has timeouts.response): a body the server stops
  // sending fails, unless the client is the one slow to read and has paused it.
  const onIdle = (): void => {
    if (paused) req.setTimeout(idleMs, onIdle);
    else fail(new MtlsProxyError('ERR_UPSTREAM_BODY_TIMEOUT', 'The upstream stopped sending the response body.'));
  };
  req.once('response', (res: IncomingMessage) => {
    response = res;
    req.setTimeout(idleMs, onIdle);
    handler.onResponseStart?.(controller, res.statusCode ?? 502, res.headers, res.statusMessage);
    res.on('data', (chunk: Buffer) => handler.onResponseData?.(controller, chunk));
    res.once('error', fail);
    res.once('end', () => {
      if (finished) return;
      finished = true;
      handler.onResponseEnd?.(controller, res.trailers);
    });
  });

  downstream.pipe(req, { end: false });
  downstream.once('end', () => {
    req.addTrailers(endToEndHeaders(trailers(), NOT_IN_TRAILERS) as Record<string, string | string[]>);
    req.end();
  });
  handler.onRequestStart?.(controller, {});
  return () => {
    finished = true;
    req.destroy();
  };
}
