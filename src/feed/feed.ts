/**
 * What the console's live feed shows: the `request` and `upstream tls` log lines,
 * reduced to fields that carry no secret (no query string, no header value).
 */
export interface RequestEvent {
  readonly kind: 'request';
  /** When the request ended, in ms since the epoch: formatted by the page, not per request. */
  readonly time: number;
  readonly id: string;
  readonly method: string;
  readonly host: string;
  readonly port: number;
  /** Without its query string. */
  readonly path: string;
  readonly status: number | null;
  readonly durationMs: number;
  readonly rule: string | null;
  /** fingerprint256 of the client certificate lent, or null. */
  readonly clientCert: string | null;
  /** The Proxy-Status header the proxy answered with, on an upstream failure. */
  readonly proxyStatus?: string;
  readonly aborted?: boolean;
}

export interface UpstreamTlsEvent {
  readonly kind: 'upstream tls';
  readonly time: number;
  readonly host: string;
  readonly port: number;
  readonly rule: string | null;
  /** fingerprint256 of the client certificate the socket actually presented, or null. */
  readonly clientCert: string | null;
  readonly serverCert: { readonly subject: string; readonly fingerprint256: string } | null;
  readonly authorized: boolean;
  readonly authorizationError?: string;
  /** The HTTP protocol the server chose by ALPN: h2, or http/1.1 (also when it chose none). */
  readonly protocol: 'h2' | 'http/1.1';
  readonly tlsVersion: string | null;
  readonly reused: boolean;
}

export type FeedEvent = RequestEvent | UpstreamTlsEvent;

export type FeedListener = (event: FeedEvent) => void;

/** How many events a console opened later still sees. */
export const FEED_CAPACITY = 500;

/**
 * The recent events in a ring buffer, and whoever watches them live. One object for
 * the life of the process, as the metrics are, so a reload loses no entry. With
 * nobody watching, an event costs one array write.
 */
export class ActivityFeed {
  readonly #ring: (FeedEvent | undefined)[];
  #next = 0;
  readonly #listeners = new Set<FeedListener>();

  constructor(capacity = FEED_CAPACITY) {
    this.#ring = new Array<FeedEvent | undefined>(capacity);
  }

  push(event: FeedEvent): void {
    this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.#ring.length;
    for (const listener of this.#listeners) listener(event);
  }

  /** The events kept, oldest first. */
  recent(): FeedEvent[] {
    const ring = this.#ring;
    return [...ring.slice(this.#next), ...ring.slice(0, this.#next)].filter((e): e is FeedEvent => e !== undefined);
  }

  /** Calls `listener` with every event from now on; returns the function that stops it. */
  subscribe(listener: FeedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
