import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { constants } from 'node:http2';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import { MtlsProxyError } from '../errors.js';
import type { InterceptedTarget } from '../proxy/context.js';
import { upstreamFailure } from '../proxy/forward.js';
import { proxyStatusHeader } from '../proxy/proxy-status.js';
import { logRequest, newRequestId } from '../proxy/request-log.js';
import { respondOnStream } from '../proxy/respond.js';
import { Http1ToH2Response } from './http1-upstream.js';
import { dispatchWithTrailers } from './request-trailers.js';
import { upstreamH2Headers, upstreamHttp1Headers, type H2Request } from './request.js';
import { relayStreams, type StreamRelayEvents } from './stream-relay.js';

/**
 * Relays one checked h2 request of a decrypted connection to the CONNECT target:
 * over the route's h2 session when the server speaks h2, else through the route's
 * HTTP/1.1 pool, translated. Either way the same `request` line, Proxy-Status
 * answers and metrics as HTTP/1.1.
 */
export function forwardH2(target: InterceptedTarget, downstream: ServerHttp2Stream, headers: IncomingHttpHeaders, request: H2Request): void {
  const { ctx, log, route } = target;
  const startedAt = performance.now();
  const id = newRequestId();
  const endStream = downstream.endAfterHeaders;
  let status: number | null = null;
  let proxyStatus: string | undefined;
  let upstreamProtocol: 'h2' | 'http/1.1' | null = null;

  // Trailers are an event, not buffered as the body is: caught now, while the upstream is still being readied.
  let requestTrailers: IncomingHttpHeaders = {};
  if (!endStream) downstream.once('trailers', (trailers: IncomingHttpHeaders) => (requestTrailers = trailers));
  const trailers = (): IncomingHttpHeaders => requestTrailers;

  let cancelUpstream = (): void => {};
  // undici keeps timeouts.response for HTTP/1.1; for an h2 upstream (and a request with trailers) the proxy does, and gives the request up.
  const responseTimeout = setTimeout(() => {
    events.failed(new MtlsProxyError('ERR_UPSTREAM_RESPONSE_TIMEOUT', 'The upstream did not send response headers in time.'));
    cancelUpstream();
  }, ctx.config.timeouts.response * 1000);
  const events: StreamRelayEvents = {
    response: (upstreamStatus) => {
      clearTimeout(responseTimeout);
      status = upstreamStatus;
    },
    failed: (err) => {
      clearTimeout(responseTimeout);
      if (downstream.destroyed || downstream.closed) return;
      const failure = upstreamFailure(ctx, log, route, err);
      proxyStatus = proxyStatusHeader(failure);
      // The client must see a broken response, never a clean-looking end.
      if (downstream.headersSent) return downstream.close(constants.NGHTTP2_INTERNAL_ERROR);
      status = failure.status;
      respondOnStream(downstream, failure.status, failure.sentence, { 'proxy-status': proxyStatus });
    },
  };
  downstream.once('close', () => {
    clearTimeout(responseTimeout);
    logRequest(ctx, log, route, {
      id,
      method: request.method,
      path: request.path,
      status: downstream.headersSent ? status : null,
      startedAt,
      aborted: downstream.rstCode !== constants.NGHTTP2_NO_ERROR || !downstream.writableFinished,
      proxyStatus,
      protocol: 'h2',
      ...(upstreamProtocol === null ? {} : { upstreamProtocol }),
    });
  });

  const viaHttp1 = (): void => {
    upstreamProtocol = 'http/1.1';
    const response = new Http1ToH2Response(downstream, events);
    const http1Headers = upstreamHttp1Headers(headers, request);
    if (!endStream && headers.trailer !== undefined) {
      const trailed = { method: request.method, path: request.path, headers: http1Headers, trailer: headers.trailer };
      cancelUpstream = dispatchWithTrailers(ctx.pools.connector(route), trailed, downstream, trailers, response, ctx.config.timeouts.idle * 1000);
      return;
    }
    // undici keeps timeouts.response itself.
    clearTimeout(responseTimeout);
    ctx.pools.get(route).dispatch(
      {
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: http1Headers,
        // undici destroys a body stream once sent: the h2 stream must live on to carry the answer.
        body: endStream ? null : downstream.pipe(new PassThrough()),
      },
      response,
    );
  };
  // A certificate is only lent over TLS, and h2 is only offered there.
  if (!route.tls) return viaHttp1();
  ctx.pools
    .h2(route)
    .request(upstreamH2Headers(headers, request), { endStream, waitForTrailers: !endStream })
    .then(
      (upstream) => {
        if (upstream === 'http/1.1') return viaHttp1();
        upstreamProtocol = 'h2';
        cancelUpstream = () => upstream.close(constants.NGHTTP2_CANCEL);
        if (downstream.destroyed || downstream.closed) return cancelUpstream();
        relayStreams(downstream, upstream, endStream ? null : trailers, events, ctx.config.timeouts.idle * 1000);
      },
      (err: Error) => events.failed(err),
    );
}
