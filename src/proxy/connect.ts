import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { HostError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { parseAuthority } from '../match/host.js';
import type { ProxyContext } from './context.js';
import { firstBytes, isTlsClientHello, terminateClientTls } from './intercept.js';
import { checkHeaders } from './request-checks.js';
import { respondOnSocket } from './respond.js';
import { tunnel } from './tunnel.js';

/** Decides, for a CONNECT, whether to decrypt it (a rule matches, or intercept: all) or pass it through. */
function shouldIntercept(ctx: ProxyContext, hasRule: boolean): boolean {
  return hasRule || ctx.config.intercept === 'all';
}

export function handleConnect(ctx: ProxyContext, inner: Server, log: Logger, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const rejected = checkHeaders(req.rawHeaders);
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
  const rule = ctx.matcher.match(host, port);
  if (!shouldIntercept(ctx, rule !== null)) {
    void tunnel(ctx, log, socket, head, host, port, true);
    return;
  }
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  // While the 200 travels and the client writes its ClientHello, the upstream is
  // dialled; the leaf is minted once the upstream's ClientHello is out (or when the
  // client's arrives, if sooner), so that the upstream's work overlaps the mint.
  const route = ctx.routes.route(host, port, true, rule);
  ctx.pools.prepare(route, () => ctx.leaves.secureContextSoon(host, () => {}));
  void firstBytes(socket, head).then((first) => {
    if (first === null) {
      socket.destroy();
      return;
    }
    if (isTlsClientHello(first)) {
      terminateClientTls(ctx, inner, socket, first, { host, port, rule, route, log, ctx });
    } else {
      // Not TLS (a WebSocket over port 80, say): nothing to decrypt, so no certificate to lend.
      void tunnel(ctx, log, socket, first, host, port, false);
    }
  });
}
