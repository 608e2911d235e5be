import type { IncomingMessage } from 'node:http';
import { HostError } from '../errors.js';
import { formatAuthority, parseAuthority } from '../match/host.js';
import type { AdminEndpoint } from './endpoint.js';
import { pacScript } from './pac-script.js';

const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * Where the client reached the proxy: its Host header (which survives port
 * mappings and names a listener on 0.0.0.0 as the client sees it), else the
 * local address of the client's connection.
 */
export function proxyAuthority(req: IncomingMessage): string {
  const { host } = req.headers;
  if (host) {
    try {
      const { host: name, port } = parseAuthority(host, 80);
      return formatAuthority(name, port);
    } catch (err) {
      if (!(err instanceof HostError)) throw err;
    }
  }
  const local = req.socket.localAddress ?? '127.0.0.1';
  return formatAuthority(MAPPED_IPV4.exec(local)?.[1] ?? local, req.socket.localPort ?? 0);
}

/** A PAC file: the hosts with rules through this proxy, the rest direct. */
export const pacEndpoint: AdminEndpoint = {
  summary: 'a PAC file that sends only the hosts with rules through this proxy',
  open: true,
  answer: (ctx, req) => ({
    contentType: 'application/x-ns-proxy-autoconfig',
    body: pacScript(ctx.matcher.compiled(), proxyAuthority(req)),
    headers: { 'cache-control': 'no-cache' },
  }),
};
