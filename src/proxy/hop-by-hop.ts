import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific fields, plus the proxy's own credentials. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/**
 * The end-to-end headers of a message: hop-by-hop fields and every field the
 * Connection header names are dropped. Forwarding `Connection: close` upstream
 * would defeat the upstream pool, so it must never pass.
 */
export function endToEndHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  extraDrop: readonly string[] = [],
): OutgoingHttpHeaders {
  const named = connectionNamed(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || extraDrop.includes(name) || named?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * The fields a Connection header names beyond the hop-by-hop ones, or null for none:
 * the usual `Connection: keep-alive` then costs no Set, and a single token no split.
 */
function connectionNamed(connection: string | string[] | undefined): Set<string> | null {
  if (connection === undefined) return null;
  if (typeof connection === 'string' && !connection.includes(',')) {
    const name = connection.trim().toLowerCase();
    return HOP_BY_HOP.has(name) ? null : new Set([name]);
  }
  let named: Set<string> | null = null;
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (!HOP_BY_HOP.has(name)) (named ??= new Set()).add(name);
    }
  }
  return named;
}
