import { createSecureServer, type Http2SecureServer, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface SeenH2Stream {
  headers: IncomingHttpHeaders;
  /** SHA-256 fingerprint of the client certificate of the stream's connection, or null. */
  clientCert: string | null;
  /** The stream's close: its RST_STREAM code (0 for a clean end). */
  closed: Promise<number>;
  /** Destroys the stream's connection as a crash would: no GOAWAY, no RST_STREAM. */
  dropConnection(): void;
  /** Ends the stream's connection at the TLS level (close_notify, then FIN), with no GOAWAY. */
  endConnection(): void;
}

export interface TestH2Upstream {
  readonly port: number;
  readonly server: Http2SecureServer;
  readonly seen: SeenH2Stream[];
  /** Connections whose TLS handshake succeeded so far. */
  readonly connections: number;
  /** TCP connections accepted so far, whatever became of their handshake. */
  readonly tcpConnections: number;
  close(): Promise<void>;
}

export interface H2UpstreamOptions {
  certPem: string;
  keyPem: string;
  /** CAs whose client certificates are accepted: one is required. */
  clientCa: string;
  /** Also speak HTTP/1.1 to a client that offers only that by ALPN, as most servers do (answered 200 "h1"). */
  allowHTTP1?: boolean;
  /** Answers a stream; by default a JSON body naming the client certificate and the request head. */
  handler?: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, seen: SeenH2Stream) => void;
}

/**
 * A real h2 server (ALPN h2, HTTP/1.1 only with `allowHTTP1`) on loopback port 0 that
 * requires a client certificate and records each stream with the one it got.
 */
export async function startH2Upstream(options: H2UpstreamOptions): Promise<TestH2Upstream> {
  const seen: SeenH2Stream[] = [];
  let connections = 0;
  let tcpConnections = 0;
  const server = createSecureServer({
    cert: options.certPem,
    key: options.keyPem,
    ca: options.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
    allowHTTP1: options.allowHTTP1 ?? false,
  });
  // Only then: a 'request' listener puts Node's compatibility layer on every h2 stream too.
  if (options.allowHTTP1) {
    server.on('request', (req, res) => {
      if (req.httpVersionMajor === 1) res.end('h1');
    });
  }
  // A session hides its socket from destroy(): each is kept here, made before its session.
  const rawSockets = new WeakMap<Http2Session, TLSSocket>();
  let handshaken: TLSSocket | null = null;
  server.prependListener('secureConnection', (socket: TLSSocket) => (handshaken = socket));
  server.on('session', (session) => {
    if (handshaken) rawSockets.set(session, handshaken);
  });
  server.on('secureConnection', () => connections++);
  server.on('connection', () => tcpConnections++);
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const socket = stream.session?.socket as TLSSocket | undefined;
    const entry: SeenH2Stream = {
      headers,
      clientCert: socket?.getPeerX509Certificate()?.fingerprint256 ?? null,
      closed: new Promise((resolve) => stream.once('close', () => resolve(stream.rstCode ?? 0))),
      dropConnection: () => rawSockets.get(stream.session!)?.destroy(),
      endConnection: () => rawSockets.get(stream.session!)?.end(),
    };
    seen.push(entry);
    if (options.handler) return options.handler(stream, headers, entry);
    stream.resume();
    stream.once('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ clientCert: entry.clientCert, path: headers[':path'], authority: headers[':authority'] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sessions = new Set<Http2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    seen,
    get connections() {
      return connections;
    },
    get tcpConnections() {
      return tcpConnections;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
