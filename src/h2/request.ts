import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { formatAuthority } from '../match/host.js';
import { endToEndHeaders } from '../proxy/hop-by-hop.js';
import { isRejection, misdirected, parseRequestTarget, type Rejection } from '../proxy/request-checks.js';

/** As for HTTP/1.1 (request-checks.ts): more fields than this is refused. */
const MAX_HEADER_COUNT = 200;
/**
 * The 16 KiB an HTTP/1.1 head may take, as SETTINGS_MAX_HEADER_LIST_SIZE counts it
 * (RFC 9113 §6.5.2: each field's name and value plus 32). The setting is advertised
 * to the client, but Node does not enforce it on what it receives.
 */
export const MAX_HEADER_LIST_SIZE = 16 * 1024;

function headerListSize(headers: IncomingHttpHeaders): number {
  let size = 0;
  for (const name in headers) {
    const value = headers[name];
    for (const v of Array.isArray(value) ? value : [value ?? '']) size += name.length + v.length + 32;
  }
  return size;
}
const PSEUDO = [':method', ':path', ':scheme', ':authority'];

/** An h2 request the proxy will relay: always for the CONNECT host:port. */
export interface H2Request {
  method: string;
  /** Origin-form path with query. */
  path: string;
  /** The :authority sent upstream: the client's, or the CONNECT host:port when it sent none. */
  authority: string;
}

/**
 * Checks one h2 request head from a decrypted connection for `host:port`: a method
 * and a path (RFC 9113 §8.3.1; CONNECT is not relayed), and an :authority (or Host)
 * naming the CONNECT target, else 421 as for Host over HTTP/1.1.
 */
export function checkH2Request(headers: IncomingHttpHeaders, host: string, port: number): H2Request | Rejection {
  if (Object.keys(headers).length > MAX_HEADER_COUNT) return { status: 431, reason: `more than ${MAX_HEADER_COUNT} header fields` };
  if (headerListSize(headers) > MAX_HEADER_LIST_SIZE) return { status: 431, reason: 'the header section is over 16 KiB' };
  const method = headers[':method'];
  const path = headers[':path'];
  if (method === undefined || method === 'CONNECT' || path === undefined) return { status: 400, reason: 'an h2 request needs :method and :path, and CONNECT is not relayed' };
  const parsed = parseRequestTarget(path);
  if (isRejection(parsed)) return parsed;
  if (parsed.scheme !== null) return { status: 400, reason: ':path must be origin-form' };
  const authority = headers[':authority'] ?? headers.host;
  const wrongHost = misdirected(authority, parsed, host, port);
  if (wrongHost) return wrongHost;
  return { method, path: parsed.path, authority: authority ?? formatAuthority(host, port) };
}

/** `te: trailers` is the one TE value h2 allows (RFC 9113 §8.2.2); gRPC needs it end to end. */
function withTrailersTe(out: OutgoingHttpHeaders, te: string | string[] | undefined): OutgoingHttpHeaders {
  if (te === 'trailers') out.te = te;
  return out;
}

/** The head of the upstream h2 request: the client's end-to-end fields and pseudo-headers, :authority as checked. */
export function upstreamH2Headers(headers: IncomingHttpHeaders, request: H2Request): OutgoingHttpHeaders {
  const out = withTrailersTe(endToEndHeaders(headers, ['host', ':authority']), headers.te);
  out[':authority'] = request.authority;
  return out;
}

/** The head of the HTTP/1.1 request made from an h2 one: no pseudo-headers, Host from :authority. */
export function upstreamHttp1Headers(headers: IncomingHttpHeaders, request: H2Request): Record<string, string | string[]> {
  const out = endToEndHeaders(headers, ['host', 'expect', ...PSEUDO]);
  out.host = request.authority;
  return out as Record<string, string | string[]>;
}

/** A response head or trailers for the h2 client: hop-by-hop fields, which h2 forbids, dropped. */
export function downstreamH2Headers(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  return endToEndHeaders(headers);
}
