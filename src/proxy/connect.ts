import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { HostError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { formatAuthority, parseAuthority } from '../match/host.js';
import { offeredAlpn } from './client-hello.js';
import type { ProxyContext } from './context.js';
import { deadlineOf } from './deadline.js';
import { firstBytes, isTlsClientHello, terminateClientTls, wholeFirstRecord } from './intercept.js';
import { warnOnceIfRuleOnOtherPort } from './other-port-warning.js';
import { checkHeaders } from './request-checks.js';
import { respondOnSocket } from './respond.js';
import { PROXY_LOOP_STATUS, type SelfTargetCheck } from './self-target.js';
import { tunnel } from './tunnel.js';

/** Decides, for a CONNECT, whether to decrypt it (a rule matches, or intercept: all) or pass it through. */
function shouldIntercept(ctx: ProxyContext, hasRule: boolean): boolean {
  return hasRule || ctx.config.intercept === 'all';
}

export function handleConnect(
  ctx: ProxyContext,
  inner: Server,
  log: Logger,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  targetsSelf: SelfTargetCheck,
): void {
  // The head is complete; what follows has deadlines of its own.
  const deadline = deadlineOf(socket);
  deadline.clear();
  const rejected = checkHeaders(req.rawHeaders, req.httpVersion);
  if (rejected) {
    respondOnSocket(socket, rejected.status, `Bad CONNECT request: ${rejected.reason}.`);
    return;
  }
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseAuthority(req.url ?? ''));
  } catch (err) {
    const reason = err instanceof HostError ? err.message : 'the CONNECT target is not host:port';
    respondOnSocket(socket, 400, `Bad CONNECT request: ${reason}`);
    return;
  }
  if (targetsSelf(host, port)) {
    const where = formatAuthority(host, port);
    respondOnSocket(socket, 403, `Refused CONNECT ${where}: it is this proxy's own address, so the tunnel would loop through it.`, { 'proxy-status': PROXY_LOOP_STATUS });
    return;
  }
  const rule = ctx.matcher.match(host, port);
  if (rule === null) warnOnceIfRuleOnOtherPort(ctx, log, host, port);
  if (!shouldIntercept(ctx, rule !== null)) {
    void tunnel(ctx, log, socket, head, host, port, true);
    return;
  }
  const route = ctx.routes.route(host, port, true, rule);
  // The TCP connect is under way while the client prepares its ClientHello.
  const releasePredialled = ctx.pools.predial(route);
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  // A client that never sends its ClientHello must not hold the socket for good.
  deadline.arm(ctx.config.timeouts.handshake * 1000);
  void firstBytes(socket, head).then(async (first) => {
    if (first === null || !isTlsClientHello(first)) {
      deadline.clear();
      releasePredialled();
      if (first === null) socket.destroy();
      // Not TLS (a WebSocket over port 80, say): nothing to decrypt, so no certificate to lend.
      else void tunnel(ctx, log, socket, first, host, port, false);
      return;
    }
    // Still under the ClientHello's deadline: a client that sends half of it is let go.
    const hello = await wholeFirstRecord(socket, first);
    deadline.clear();
    if (socket.destroyed) {
      releasePredialled();
      return;
    }
    // The upstream's TLS starts during the client's handshake, for the protocol its
    // ClientHello offers: an h2 client's streams go to the route's h2 session, and
    // an HTTP/1.1 connection dialled for it would go unused. Started first, so that
    // the server works on its side while the proxy serves the client's.
    ctx.pools.prepare(route, offeredAlpn(hello).includes('h2'));
    terminateClientTls(ctx, inner, socket, hello, { host, port, rule, route, log, ctx });
  });
}
