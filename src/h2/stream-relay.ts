import { constants, type ClientHttp2Stream, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { MtlsProxyError } from '../errors.js';
import { downstreamH2Headers } from './request.js';

const { NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_NO_ERROR } = constants;

export interface StreamRelayEvents {
  /** The upstream answered: its status, for the request line. */
  response(status: number): void;
  /** The upstream failed: the client gets a 502/504 instead, or its stream reset when the head was sent. */
  failed(err: Error): void;
}

/**
 * undici's bodyTimeout for the h2 upstream: a response body the server stops sending
 * for `idleMs` while the proxy reads it fails the response. While the client is slow
 * to read, the pipe has paused the upstream and the silence is not the server's.
 */
function watchBody(upstream: ClientHttp2Stream, idleMs: number, silent: () => void): void {
  upstream.on('timeout', () => {
    if (upstream.readableFlowing === false) upstream.setTimeout(idleMs);
    else silent();
  });
  // Node refreshes a stream's timeout on every frame either way.
  upstream.setTimeout(idleMs);
}

/** A reset received from the peer surfaces as this error code (a CANCEL as none). */
function isPeerReset(err: Error | null): boolean {
  return (err as { code?: string } | null)?.code === 'ERR_HTTP2_STREAM_ERROR';
}

/**
 * Relays one h2 stream to one upstream h2 stream and back: bodies piped both
 * ways (h2 flow control is the backpressure: a full side stops reading the
 * other), trailers both ways (gRPC's status lives there, and a Trailers-Only
 * response stays one HEADERS frame), and resets both ways: a client that resets
 * its stream resets the upstream one, and an upstream reset reaches the client
 * with its code.
 */
export function relayStreams(
  downstream: ServerHttp2Stream,
  upstream: ClientHttp2Stream,
  /** The client's trailers once its body ended; null when the request had no body. */
  requestTrailers: (() => IncomingHttpHeaders) | null,
  events: StreamRelayEvents,
  /** timeouts.idle: how long the response body may pause. */
  idleMs: number,
): void {
  let upstreamError: Error | null = null;
  let responded = false;

  if (requestTrailers) {
    upstream.once('wantTrailers', () => upstream.sendTrailers(downstreamH2Headers(requestTrailers())));
    downstream.pipe(upstream);
  }

  let responseTrailers: IncomingHttpHeaders = {};
  upstream.once('trailers', (trailers: IncomingHttpHeaders) => (responseTrailers = trailers));
  downstream.once('wantTrailers', () => downstream.sendTrailers(downstreamH2Headers(responseTrailers)));
  upstream.once('response', (headers: IncomingHttpHeaders, flags: number) => {
    responded = true;
    events.response(Number(headers[':status']));
    if (downstream.destroyed) return;
    // Trailers-Only (gRPC's error answer): the head is the whole response.
    if ((flags & NGHTTP2_FLAG_END_STREAM) !== 0) {
      downstream.respond(downstreamH2Headers(headers), { endStream: true });
      return;
    }
    downstream.respond(downstreamH2Headers(headers), { waitForTrailers: true });
    upstream.pipe(downstream);
    watchBody(upstream, idleMs, () => {
      events.failed(new MtlsProxyError('ERR_UPSTREAM_BODY_TIMEOUT', 'The upstream stopped sending the response body.'));
      upstream.close(NGHTTP2_CANCEL);
    });
  });

  upstream.on('error', (err: Error) => (upstreamError = err));
  upstream.once('close', () => {
    // Closed, or already answered by the proxy itself (a response timeout).
    if (downstream.destroyed || downstream.closed || (!responded && downstream.headersSent)) return;
    const code = upstream.rstCode ?? NGHTTP2_NO_ERROR;
    // The proxy's side failed (the connection was lost, say): a 502, or a reset after the head.
    if (upstreamError && !isPeerReset(upstreamError)) events.failed(upstreamError);
    else if (!responded && code === NGHTTP2_NO_ERROR) events.failed(new MtlsProxyError('ECONNRESET', 'The upstream stream closed before its response.'));
    // The server reset the stream (a CANCEL comes with no error): the client gets its code.
    else if (code !== NGHTTP2_NO_ERROR) downstream.close(code);
  });
  downstream.once('close', () => {
    // The client reset its stream, or left: the upstream stream goes too.
    if (!upstream.closed && !upstream.destroyed) upstream.close(NGHTTP2_CANCEL);
  });
}
