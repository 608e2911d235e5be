import { connect as http2Connect, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { MtlsProxyError } from '../errors.js';
import type { Connector } from '../upstream/connector.js';

/** What a route's server speaks: an h2 stream to use, or http/1.1 (the route's undici pool then). */
export type UpstreamStream = ClientHttp2Stream | 'http/1.1';

/**
 * The h2 side of one route (one host, port, address, identity and trust): one
 * ClientHttp2Session at a time, its streams shared by every client stream of that
 * route and never by another route, hence never by another client identity. When
 * the server picks http/1.1 by ALPN, that is remembered and the route's undici
 * pool serves it from then on. A session that receives GOAWAY or closes is
 * replaced by the next request; its open streams finish on it.
 */
export class H2Upstream {
  readonly #makeConnector: () => Connector;
  #connector: Connector | null = null;
  readonly #idleMs: number;
  readonly #toHttp1: (socket: TLSSocket) => void;
  #session: Promise<ClientHttp2Session | 'http/1.1'> | null = null;
  /** The session new streams go to, once dialled. */
  #current: ClientHttp2Session | null = null;
  #http1 = false;
  #streams = 0;
  #closed = false;
  readonly #open = new Set<ClientHttp2Session>();

  /**
   * `connector` dials the route offering ALPN h2 then http/1.1; made on first use.
   * `toHttp1` takes a connection on which the server chose http/1.1.
   */
  constructor(connector: () => Connector, idleMs: number, toHttp1: (socket: TLSSocket) => void) {
    this.#makeConnector = connector;
    this.#idleMs = idleMs;
    this.#toHttp1 = toHttp1;
  }

  /** Streams in flight: the pool sweeper keeps a busy route. */
  get busy(): boolean {
    return this.#streams > 0;
  }

  /** A session is open or being dialled: an h2 client needs no new connection. */
  get dialled(): boolean {
    return this.#session !== null && !this.#http1;
  }

  /** The server chose http/1.1 by ALPN: the route's undici pool serves its h2 clients. */
  get http1(): boolean {
    return this.#http1;
  }

  /**
   * Dials the route's session now, if there is none, for a client about to open
   * streams. A failure is left to that client's first request, which dials anew.
   */
  warm(): void {
    this.#ready().catch(() => {});
  }

  /** Opens a stream on the route's session (dialled when there is none), or says the server speaks http/1.1. */
  async request(headers: OutgoingHttpHeaders, options: { endStream: boolean; waitForTrailers: boolean }): Promise<UpstreamStream> {
    let session = await this.#ready();
    // Retired (GOAWAY, close) while this request waited for it: one new session.
    if (session !== 'http/1.1' && (session.closed || session.destroyed)) {
      this.#retire(session);
      session = await this.#ready();
    }
    if (session === 'http/1.1') return session;
    const stream = session.request(headers, options);
    this.#streams++;
    stream.once('close', () => this.#streams--);
    return stream;
  }

  async #ready(): Promise<ClientHttp2Session | 'http/1.1'> {
    if (this.#http1) return 'http/1.1';
    const pending = (this.#session ??= this.#dial());
    try {
      return await pending;
    } catch (err) {
      if (this.#session === pending) this.#session = null;
      throw err;
    }
  }

  async #dial(): Promise<ClientHttp2Session | 'http/1.1'> {
    const socket = (await (this.#connector ??= this.#makeConnector()).open()) as TLSSocket;
    if (socket.alpnProtocol !== 'h2') {
      // Once per route: the connection serves the route's HTTP/1.1 pool from then on.
      this.#http1 = true;
      this.#toHttp1(socket);
      return 'http/1.1';
    }
    // Registered before the session's own listener: a connection lost under open
    // streams would have them closed as cancelled, like a server's own CANCEL;
    // failed with this error instead, the client gets a 502 or an INTERNAL_ERROR reset.
    socket.once('close', () => session.destroy(new MtlsProxyError('ECONNRESET', 'The upstream connection closed with streams still open.')));
    const session = http2Connect('https://upstream.invalid', { createConnection: () => socket, settings: { enablePush: false } });
    this.#open.add(session);
    this.#current = session;
    const retire = (): void => this.#retire(session);
    // Failures reach the streams as their own errors; the session only retires.
    session.on('error', retire);
    session.once('goaway', retire);
    session.once('close', () => {
      retire();
      this.#open.delete(session);
    });
    // An idle session closes; its streams, if any, finish first.
    session.setTimeout(this.#idleMs, () => {
      if (this.#streams === 0) {
        retire();
        session.close();
      }
    });
    if (this.#closed) session.destroy();
    return session;
  }

  /** New streams go to a new session from now on. */
  #retire(session: ClientHttp2Session): void {
    if (this.#current !== session) return;
    this.#current = null;
    this.#session = null;
  }

  /** No new streams; the open ones finish, then the sessions close (GOAWAY). */
  close(): void {
    this.#closed = true;
    this.#session = this.#current = null;
    for (const session of this.#open) session.close();
  }

  /** Ends every session at once, its streams reset. */
  destroy(): void {
    this.#closed = true;
    this.#session = this.#current = null;
    for (const session of this.#open) session.destroy();
  }
}
