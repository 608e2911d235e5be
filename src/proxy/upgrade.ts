import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from '../log/logger.js';
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

function writeHead(client: Socket, status: number, statusMessage: string | undefined, lines: string[]): void {
  client.write(`${[`HTTP/1.1 ${status} ${statusMessage || STATUS_CODES[status] || ''}`, ...lines].join('\r\n')}\r\n\r\n`);
}

/**
 * A WebSocket (or other Upgrade) request: the upstream connection carries the
 * rule's client certificate like any other, then both sockets are relayed as is.
 * Sec-WebSocket-* headers pass untouched in both directions. An upstream that
 * refuses the upgrade (401, 403, 404...) has its answer passed on, then both close.
 */
export function forwardUpgrade(ctx: ProxyContext, log: Logger, req: IncomingMessage, client: Socket, head: Buffer, target: ForwardTarget): void {
  const { route } = target;
  const headers = endToEndHeaders(req.headers, ['host']);
  headers.host = target.hostHeader;
  const protocol = req.headers.upgrade ?? 'websocket';
  const startedAt = performance.now();
  const id = newRequestId();
  const logStatus = (status: number): void => logRequest(ctx, log, route, { id, method: req.method, path: target.path, status, startedAt });
  let refusal = 0;
  ctx.pools.get(route).dispatch(
    { path: target.path, method: (req.method ?? 'GET') as Dispatcher.HttpMethod, headers: headers as Record<string, string>, upgrade: protocol },
    {
      // Its presence is what tells undici this handler speaks its newer API.
      onRequestStart() {},
      onRequestUpgrade(_controller, _status, upstreamHeaders, server) {
        if (client.destroyed) {
          server.destroy();
          return;
        }
        const response = endToEndHeaders(upstreamHeaders as Record<string, string | string[]>);
        writeHead(client, 101, undefined, ['connection: Upgrade', `upgrade: ${String(upstreamHeaders.upgrade ?? protocol)}`, ...headerLines(response)]);
        if (head.length > 0) server.write(head);
        logStatus(101);
        relaySockets(client, server as Socket, () => {});
      },
      onResponseStart(_controller, status, upstreamHeaders, statusMessage) {
        if (status < 200) return;
        refusal = status;
        // The body is sent as undici decodes it: delimited by its length, or by the close.
        writeHead(client, status, statusMessage, [...headerLines(endToEndHeaders(upstreamHeaders)), 'connection: close']);
      },
      onResponseData(controller, chunk) {
        if (client.write(chunk)) return;
        controller.pause();
        client.once('drain', () => controller.resume());
      },
      onResponseEnd() {
        client.end();
        logStatus(refusal);
      },
      onResponseError(_controller, err) {
        const failure = classifyUpstreamError(err, `${route.host}:${route.port}`, route.rule !== null);
        log.warn({ host: route.host, port: route.port, code: failure.details, error: failure.sentence }, 'upstream error');
        ctx.metrics.upstreamError(failure.type);
        if (refusal !== 0) {
          // Part of the refusal is already out: the client must see it broken off.
          client.destroy();
          return;
        }
        logStatus(failure.status);
        respondOnSocket(client, failure.status, failure.sentence, { 'proxy-status': proxyStatusHeader(failure) });
      },
    },
  );
}
