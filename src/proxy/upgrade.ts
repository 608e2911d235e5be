import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import { MtlsProxyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ProxyContext } from './context.js';
import { upstreamFailure, type ForwardTarget } from './forward.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { proxyStatusHeader } from './proxy-status.js';
import { relaySockets } from './relay.js';
import { logRequest, newRequestId } from './request-log.js';
import { respondOnSocket } from './respond.js';

/** Bytes a client may send before its upgrade is answered that are kept for the upstream. */
const MAX_EARLY_BYTES = 64 * 1024;

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
  const logStatus = (status: number, proxyStatus?: string): void =>
    logRequest(ctx, log, route, { id, method: req.method, path: target.path, status, startedAt, proxyStatus });
  let refusal = 0;
  let controller: Dispatcher.DispatchController | null = null;
  let answered = false;
  // A client that leaves (or half-closes) before the answer can use no upgraded
  // connection: the upstream request is aborted rather than left waiting. Only a
  // socket that is read sees its peer leave, so it is read meanwhile; what a hasty
  // client sends early goes upstream after the 101, up to a bound.
  const early: Buffer[] = [head];
  let earlyBytes = head.length;
  const onEarly = (chunk: Buffer): void => {
    early.push(chunk);
    earlyBytes += chunk.length;
    if (earlyBytes >= MAX_EARLY_BYTES) client.pause();
  };
  const clientLeft = (): void => {
    if (!answered) controller?.abort(new MtlsProxyError('ERR_CLIENT_ABORTED', 'The client closed the connection.'));
  };
  const answer = (): void => {
    answered = true;
    client.off('data', onEarly);
    client.pause();
    client.off('end', clientLeft);
    client.off('close', clientLeft);
  };
  client.on('data', onEarly);
  client.once('end', clientLeft);
  client.once('close', clientLeft);
  ctx.pools.get(route).dispatch(
    { path: target.path, method: (req.method ?? 'GET') as Dispatcher.HttpMethod, headers: headers as Record<string, string>, upgrade: protocol },
    {
      onRequestStart(started) {
        controller = started;
        if (client.destroyed || client.readableEnded) clientLeft();
      },
      onRequestUpgrade(_controller, _status, upstreamHeaders, server) {
        answer();
        if (client.destroyed) {
          server.destroy();
          return;
        }
        const response = endToEndHeaders(upstreamHeaders as Record<string, string | string[]>);
        writeHead(client, 101, undefined, ['connection: Upgrade', `upgrade: ${String(upstreamHeaders.upgrade ?? protocol)}`, ...headerLines(response)]);
        const pending = Buffer.concat(early);
        if (pending.length > 0) server.write(pending);
        logStatus(101);
        relaySockets(client, server as Socket, () => {});
      },
      onResponseStart(_controller, status, upstreamHeaders, statusMessage) {
        if (status < 200) return;
        answer();
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
        if (!answered && (client.destroyed || client.readableEnded)) {
          answer();
          client.destroy();
          logRequest(ctx, log, route, { id, method: req.method, path: target.path, status: null, startedAt, aborted: true });
          return;
        }
        answer();
        const failure = upstreamFailure(ctx, log, route, err);
        if (refusal !== 0) {
          // Part of the refusal is already out: the client must see it broken off.
          client.destroy();
          return;
        }
        const proxyStatus = proxyStatusHeader(failure);
        logStatus(failure.status, proxyStatus);
        respondOnSocket(client, failure.status, failure.sentence, { 'proxy-status': proxyStatus });
      },
    },
  );
}
