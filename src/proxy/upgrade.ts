import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Logger } from '../log/logger.js';
import { upstreamRoute } from '../upstream/route.js';
import type { ProxyContext } from './context.js';
import type { ForwardTarget } from './forward.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { classifyUpstreamError, proxyStatusHeader } from './proxy-status.js';
import { relaySockets } from './relay.js';
import { logRequest, newRequestId } from './request-log.js';
import { respondOnSocket } from './respond.js';

function headerLines(headers: Record<string, string | string[] | number | undefined>): string[] {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  return lines;
}

/**
 * A WebSocket (or other Upgrade) request: the upstream connection carries the
 * rule's client certificate like any other, then both sockets are relayed as is.
 * Sec-WebSocket-* headers pass untouched in both directions.
 */
export function forwardUpgrade(ctx: ProxyContext, log: Logger, req: IncomingMessage, client: Socket, head: Buffer, target: ForwardTarget): void {
  const route = upstreamRoute(ctx.config, target.host, target.port, target.tls, target.rule);
  const headers = endToEndHeaders(req.headers, ['host']);
  headers.host = target.hostHeader;
  const protocol = req.headers.upgrade ?? 'websocket';
  const startedAt = performance.now();
  const id = newRequestId();
  ctx.pools
    .get(route)
    .upgrade({ path: target.path, method: req.method ?? 'GET', headers: headers as Record<string, string>, protocol })
    .then(({ headers: upstreamHeaders, socket: server }) => {
      if (client.destroyed) {
        server.destroy();
        return;
      }
      const response = endToEndHeaders(upstreamHeaders as Record<string, string | string[]>);
      const lines = [
        `HTTP/1.1 101 ${STATUS_CODES[101]}`,
        `connection: Upgrade`,
        `upgrade: ${String(upstreamHeaders.upgrade ?? protocol)}`,
        ...headerLines(response),
      ];
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) server.write(head);
      logRequest(ctx, log, route, { id, method: req.method, path: target.path, status: 101, startedAt });
      relaySockets(client, server as Socket, () => {});
    })
    .catch((err: unknown) => {
      const failure = classifyUpstreamError(err, `${target.host}:${target.port}`, route.rule !== null);
      log.warn({ host: target.host, port: target.port, code: failure.details, error: failure.sentence }, 'upstream error');
      logRequest(ctx, log, route, { id, method: req.method, path: target.path, status: failure.status, startedAt });
      respondOnSocket(client, failure.status, failure.sentence, { 'proxy-status': proxyStatusHeader(failure) });
    });
}
