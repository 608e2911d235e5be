import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { formatAuthority } from '../match/host.js';
import { dialTcp } from '../upstream/dial.js';
import type { ProxyContext } from './context.js';
import { classifyUpstreamError, proxyStatusHeader } from './proxy-status.js';
import { relaySockets } from './relay.js';
import { respondOnSocket } from './respond.js';

/**
 * A CONNECT passed through untouched: the client talks TLS with the real server.
 * With `answer`, the 200 is sent only once the server is reached, so a failure
 * can still be a 502.
 */
export async function tunnel(
  ctx: ProxyContext,
  log: Logger,
  client: Socket,
  head: Buffer,
  host: string,
  port: number,
  answer: boolean,
): Promise<void> {
  const started = performance.now();
  let server: Socket;
  try {
    server = await dialTcp(ctx.routes.tcpTarget(host, port), ctx.config.timeouts.connect * 1000, formatAuthority(host, port));
  } catch (err) {
    const failure = classifyUpstreamError(err, `${host}:${port}`, false);
    log.warn({ host, port, code: failure.details, error: failure.sentence }, 'upstream error');
    if (answer) respondOnSocket(client, failure.status, failure.sentence, { 'proxy-status': proxyStatusHeader(failure) });
    else client.destroy();
    return;
  }
  if (client.destroyed) {
    server.destroy();
    return;
  }
  if (answer) client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) server.write(head);
  relaySockets(client, server, ({ bytesUp, bytesDown }) => {
    log.info(
      { host, port, durationMs: Math.round(performance.now() - started), bytesUp: bytesUp + head.length, bytesDown },
      'tunnel',
    );
  }, ctx.config.timeouts.idle * 1000);
}
