import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { serveAdmin } from '../admin/router.js';
import { formatAuthority } from '../match/host.js';
import type { Logger } from '../log/logger.js';
import { PROXY_AUTHENTICATE, PROXY_AUTH_REQUIRED } from './access.js';
import { handleConnect } from './connect.js';
import type { ContextHolder, ProxyContext } from './context.js';
import { forwardRequest, type ForwardTarget } from './forward.js';
import { interceptedTargets } from './intercept.js';
import { deadlineOf, enforceHeadDeadlines } from './deadline.js';
import { checkHeaders, isRejection, misdirected, parseRequestTarget, type Rejection } from './request-checks.js';
import { respondOnSocket, respondText } from './respond.js';
import { selfTargetCheck, type Endpoint, type SelfTargetCheck } from './self-target.js';
import { forwardUpgrade } from './upgrade.js';

export interface RunningProxy {
  readonly host: string;
  readonly port: number;
  /** Applies the holder's current timeouts.idle to the listening servers, which read it per connection. */
  refresh(): void;
  close(): Promise<void>;
}

/** A client connection to the proxy's port: the context it was accepted with, and its logger. */
interface Connection {
  readonly ctx: ProxyContext;
  readonly log: Logger;
}

const connections = new WeakMap<Socket, Connection>();

function applyIdleTimeout(server: Server, holder: ContextHolder): void {
  server.keepAliveTimeout = holder.current.config.timeouts.idle * 1000;
}

function httpServer(holder: ContextHolder): Server {
  const server = createHttpServer({
    maxHeaderSize: 16 * 1024,
    requireHostHeader: false,
    // Uploads through a proxy may legitimately take long; idle time is bounded instead.
    requestTimeout: 0,
  });
  applyIdleTimeout(server, holder);
  enforceHeadDeadlines(server, () => holder.current.config.timeouts.idle * 1000);
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // The head passed and its answer is under way (llhttp emits the request for an
    // unknown Transfer-Encoding, then fails on the body): no second answer, just the end.
    if (deadlineOf(socket).inFlight > 0) {
      socket.end();
      return;
    }
    respondOnSocket(socket as Socket, status, status === 431 ? 'The request header section is too large (over 16 KiB).' : `Malformed request (${err.code ?? 'parse error'}).`);
  });
  return server;
}

/**
 * A refused request's body, if any, is never read: its framing may be the very
 * thing refused, so the connection ends with the answer.
 */
const CLOSE = { connection: 'close' };

/** How a request is answered: an ordinary response, or the raw socket of an Upgrade request. */
type Reply = { res: ServerResponse } | { socket: Socket; head: Buffer };

function replyText(reply: Reply, status: number, body: string, headers?: Record<string, string>): void {
  if ('res' in reply) respondText(reply.res, status, body, headers);
  else respondOnSocket(reply.socket, status, body, headers);
}

function forwardReply(ctx: ProxyContext, log: Logger, req: IncomingMessage, reply: Reply, forward: ForwardTarget): void {
  if ('res' in reply) forwardRequest(ctx, log, req, reply.res, forward);
  else forwardUpgrade(ctx, log, req, reply.socket, reply.head, forward);
}

/** A request on a decrypted connection: always for the CONNECT host:port. */
function onInterceptedRequest(req: IncomingMessage, reply: Reply): void {
  const target = interceptedTargets.get(req.socket)!;
  const { ctx } = target;
  const reject = (r: Rejection, what: string): void => replyText(reply, r.status, `${what}: ${r.reason}.`, CLOSE);
  const headerProblem = checkHeaders(req.rawHeaders, req.httpVersion);
  if (headerProblem) return reject(headerProblem, 'Bad request');
  const parsed = parseRequestTarget(req.url ?? '');
  if (isRejection(parsed)) return reject(parsed, 'Bad request');
  const wrongHost = misdirected(req.headers.host, parsed, target.host, target.port);
  if (wrongHost) return reject(wrongHost, 'Misdirected request');
  forwardReply(ctx, target.log, req, reply, {
    route: target.route,
    path: parsed.path,
    hostHeader: req.headers.host ?? formatAuthority(target.host, target.port),
  });
}

/**
 * A request on the proxy's own port: absolute-form to forward, or for the proxy
 * itself: origin-form, or absolute-form naming the proxy's own address (a loop).
 */
function onProxyRequest({ ctx, log }: Connection, req: IncomingMessage, reply: Reply, targetsSelf: SelfTargetCheck): void {
  const reject = (r: Rejection): void => replyText(reply, r.status, `Bad request: ${r.reason}.`, CLOSE);
  const headerProblem = checkHeaders(req.rawHeaders, req.httpVersion);
  if (headerProblem) return reject(headerProblem);
  const parsed = parseRequestTarget(req.url ?? '');
  if (isRejection(parsed)) return reject(parsed);
  if (parsed.scheme === null || parsed.host === null || parsed.port === null || targetsSelf(parsed.host, parsed.port)) {
    if ('res' in reply) void serveAdmin(ctx, req, reply.res, parsed.path);
    else replyText(reply, 404, 'The proxy itself serves no upgrades.');
    return;
  }
  if (!ctx.access.authorizes(req)) {
    replyText(reply, 407, PROXY_AUTH_REQUIRED, PROXY_AUTHENTICATE);
    return;
  }
  const tls = parsed.scheme === 'https';
  forwardReply(ctx, log, req, reply, {
    // A certificate is only ever lent over TLS.
    route: ctx.routes.route(parsed.host, parsed.port, tls, tls ? ctx.matcher.match(parsed.host, parsed.port) : null),
    path: parsed.path,
    // RFC 9112 §3.2.2: an absolute-form target's authority replaces Host.
    hostHeader: new URL(req.url ?? '').host,
  });
}

/** Starts the listener: CONNECT, absolute-form HTTP and the proxy's own endpoints on one port. */
export async function startProxyServer(holder: ContextHolder): Promise<RunningProxy> {
  const outer = httpServer(holder);
  const inner = httpServer(holder);
  let nextConnId = 0;
  // Known once the listener is bound, before any client can connect.
  let bound: Endpoint = { address: '', port: -1 };
  // Each context's routes decide where a name is dialled: one check per context, made on first use.
  const selfChecks = new WeakMap<ProxyContext, SelfTargetCheck>();
  const targetsSelf = (ctx: ProxyContext): SelfTargetCheck => {
    let check = selfChecks.get(ctx);
    if (!check) selfChecks.set(ctx, (check = selfTargetCheck(ctx.routes, bound)));
    return check;
  };
  let open = 0;
  const sockets = new Set<Socket>();

  const connectionOf = (socket: Socket): Connection => connections.get(socket)!;
  outer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const connection = connectionOf(req.socket as Socket);
    onProxyRequest(connection, req, { res }, targetsSelf(connection.ctx));
  });
  outer.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const connection = connectionOf(socket);
    onProxyRequest(connection, req, { socket, head }, targetsSelf(connection.ctx));
  });
  outer.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const { ctx, log } = connectionOf(socket);
    if (!ctx.access.authorizes(req)) {
      respondOnSocket(socket, 407, PROXY_AUTH_REQUIRED, PROXY_AUTHENTICATE);
      return;
    }
    handleConnect(ctx, inner, log, req, socket, head, targetsSelf(ctx));
  });
  inner.on('request', (req: IncomingMessage, res: ServerResponse) => onInterceptedRequest(req, { res }));
  inner.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => onInterceptedRequest(req, { socket, head }));

  const listener = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    // Read once: a reload applies to connections accepted after it, never to this one.
    const ctx = holder.current;
    socket.on('error', () => socket.destroy());
    // Its first request head is due within timeouts.handshake; a refused client's close too.
    deadlineOf(socket).arm(ctx.config.timeouts.handshake * 1000);
    if (!ctx.access.allowsAddress(socket.remoteAddress)) {
      respondOnSocket(socket, 403, 'This client address is not in listen.allow.');
      return;
    }
    if (open >= ctx.config.limits.maxConnections) {
      respondOnSocket(socket, 503, 'The proxy is at its connection limit (limits.maxConnections); try again later.', { 'retry-after': '1' });
      return;
    }
    open++;
    sockets.add(socket);
    ctx.metrics.trackOpen('client', socket);
    socket.once('close', () => {
      open--;
      sockets.delete(socket);
    });
    connections.set(socket, { ctx, log: ctx.logger.child({ connId: ++nextConnId }) });
    outer.emit('connection', socket);
  });

  const { host, port } = holder.current.config.listen;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ host, port }, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const address = listener.address() as AddressInfo;
  bound = address;
  return {
    host: address.address,
    port: address.port,
    refresh: () => {
      applyIdleTimeout(outer, holder);
      applyIdleTimeout(inner, holder);
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      outer.close();
      inner.close();
      await closed;
    },
  };
}
