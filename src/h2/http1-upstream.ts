import type { IncomingHttpHeaders } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import type { Dispatcher } from 'undici';
import { MtlsProxyError } from '../errors.js';
import { downstreamH2Headers } from './request.js';
import type { StreamRelayEvents } from './stream-relay.js';

/**
 * Streams an HTTP/1.1 upstream response onto an h2 client stream: the status and
 * end-to-end headers as the response head, the body with the stream's flow control
 * as backpressure, chunked trailers as h2 trailers. A client that resets its stream
 * aborts the upstream request (its socket is never pooled then); an upstream that
 * fails after the head resets the client's stream.
 */
export class Http1ToH2Response implements Dispatcher.DispatchHandler {
  readonly #downstream: ServerHttp2Stream;
  readonly #events: StreamRelayEvents;
  #controller: Dispatcher.DispatchController | null = null;
  #gone = false;
  /** The upstream's response is complete: nothing left to abort. */
  #ended = false;
  #trailers: IncomingHttpHeaders = {};

  constructor(downstream: ServerHttp2Stream, events: StreamRelayEvents) {
    this.#downstream = downstream;
    this.#events = events;
    downstream.once('wantTrailers', () => downstream.sendTrailers(downstreamH2Headers(this.#trailers)));
    downstream.once('close', () => {
      // Not writableFinished: a stream the client reset reads as finished too.
      if (this.#ended) return;
      this.#gone = true;
      this.#controller?.abort(new MtlsProxyError('ERR_CLIENT_ABORTED', 'The client reset its stream.'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#gone) controller.abort(new MtlsProxyError('ERR_CLIENT_ABORTED', 'The client reset its stream.'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#events.response(statusCode);
    this.#downstream.respond({ ...downstreamH2Headers(headers), ':status': statusCode }, { waitForTrailers: true });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#downstream.write(chunk)) {
      controller.pause();
      this.#downstream.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.#ended = true;
    this.#trailers = trailers;
    this.#downstream.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (!this.#gone) this.#events.failed(err);
  }
}
