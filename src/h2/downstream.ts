import type { Server } from 'node:http';
import { constants, createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { InterceptedTarget } from '../proxy/context.js';
import { isRejection } from '../proxy/request-checks.js';
import { respondOnStream } from '../proxy/respond.js';
import { forwardH2 } from './forward.js';
import { checkH2Request, MAX_HEADER_LIST_SIZE } from './request.js';

/** Streams one client connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
export const MAX_CONCURRENT_STREAMS = 100;

interface SessionState {
  readonly target: InterceptedTarget;
  streams: number;
}

/** One h2 server per inner HTTP/1.1 server: both are handed decrypted sockets, never listen. */
const servers = new WeakMap<Server, Http2Server>();
const sessions = new WeakMap<Http2Session, SessionState>();
/** The CONNECT target of the socket being handed over: the h2 server emits 'session' synchronously. */
let handingOver: InterceptedTarget | null = null;

function h2ServerFor(inner: Server): Http2Server {
  let server = servers.get(inner);
  if (server) return server;
  server = createServer({
    settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS, maxHeaderListSize: MAX_HEADER_LIST_SIZE, enablePush: false },
    // Node's default (128 fields) would refuse a head HTTP/1.1 accepts; request-checks' count applies instead.
    maxHeaderListPairs: 256,
  });
  server.on('session', (session: ServerHttp2Session) => {
    if (handingOver === null) return session.destroy();
    const state: SessionState = { target: handingOver, streams: 0 };
    sessions.set(session, state);
    // Idle for timeouts.idle with no stream open: GOAWAY, then the connection closes.
    session.setTimeout(handingOver.ctx.config.timeouts.idle * 1000, () => {
      if (state.streams === 0) session.close();
    });
  });
  server.on('stream', onStream);
  servers.set(inner, server);
  return server;
}

function onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  // A reset or a broken connection is seen as the stream's 'close'.
  stream.on('error', () => {});
  const state = sessions.get(stream.session!);
  if (!state) return stream.close(constants.NGHTTP2_REFUSED_STREAM);
  state.streams++;
  stream.once('close', () => state.streams--);
  const { target } = state;
  const request = checkH2Request(headers, target.host, target.port);
  if (isRejection(request)) {
    const what = request.status === 421 ? 'Misdirected request' : request.status === 431 ? 'Request header fields too large' : 'Bad request';
    return respondOnStream(stream, request.status, `${what}: ${request.reason}.`);
  }
  forwardH2(target, stream, headers, request);
}

/**
 * Serves a decrypted client connection that chose h2 by ALPN: plain h2 over the
 * TLSSocket, as the inner HTTP/1.1 server serves one that chose http/1.1.
 */
export function serveH2(inner: Server, downstream: TLSSocket, target: InterceptedTarget): void {
  const server = h2ServerFor(inner);
  // Node marks a TLSSocket made with `isServer` (not by a tls.Server) as connecting
  // for good, and an h2 session waits for its 'secureConnect', which never comes:
  // the handshake is done ('secure'), so say so.
  (downstream as TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
  handingOver = target;
  try {
    server.emit('connection', downstream);
  } finally {
    handingOver = null;
  }
}
