import { HostError } from '../errors.js';
import { parseAuthority } from '../match/host.js';

const MAX_HEADER_COUNT = 200;
/** RFC 9112 §6.3: 1*DIGIT; leading zeros and more digits than a safe integer are refused rather than reinterpreted. */
const CONTENT_LENGTH = /^(?:0|[1-9]\d{0,14})$/;

export interface Rejection {
  status: 400 | 421 | 431 | 505;
  reason: string;
}

/**
 * Header-level checks Node's parser leaves to us. llhttp already refuses a
 * Content-Length with a Transfer-Encoding, two Content-Lengths, `chunked` twice
 * or not last, and malformed field lines; it accepts (measured on Node 20 and
 * 24) `gzip, chunked` (also over two lines), HTTP/1.0 with Transfer-Encoding,
 * an empty Transfer-Encoding (Node 20), `Content-Length: 010`, and emits the
 * request for an unknown or `identity` coding before failing on its body.
 * Whatever message framing is not one plain length or plain `chunked` is
 * refused here, before any upstream sees the request (RFC 9112 §6.1, §6.3).
 */
export function checkHeaders(rawHeaders: readonly string[], httpVersion: string): Rejection | null {
  if (rawHeaders.length / 2 > MAX_HEADER_COUNT) {
    return { status: 431, reason: `more than ${MAX_HEADER_COUNT} header fields` };
  }
  if (httpVersion !== '1.1' && httpVersion !== '1.0') {
    return { status: 505, reason: `HTTP/${httpVersion} is not HTTP/1.1` };
  }
  let hosts = 0;
  let lengths = 0;
  let codings = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Lengths first: nearly every field is none of the three.
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
    else if (name.length === 14 && name.toLowerCase() === 'content-length') {
      if (++lengths > 1 || !CONTENT_LENGTH.test(rawHeaders[i + 1]!)) return { status: 400, reason: 'Content-Length must be one plain number' };
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      if (++codings > 1 || rawHeaders[i + 1]!.toLowerCase() !== 'chunked') return { status: 400, reason: 'Transfer-Encoding must be just chunked' };
    }
  }
  if (codings > 0 && httpVersion === '1.0') return { status: 400, reason: 'HTTP/1.0 has no Transfer-Encoding' };
  return hosts > 1 ? { status: 400, reason: 'more than one Host header' } : null;
}

export interface RequestTarget {
  /** Scheme of an absolute-form target, or null for origin-form. */
  scheme: 'http' | 'https' | null;
  host: string | null;
  port: number | null;
  /** Origin-form path with query, for the upstream request. */
  path: string;
}

/** Splits a request-target (RFC 9112 §3.2) without trusting it. */
export function parseRequestTarget(url: string): RequestTarget | Rejection {
  if (url.startsWith('/')) return { scheme: null, host: null, port: null, path: url };
  if (url === '*') return { scheme: null, host: null, port: null, path: '*' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { status: 400, reason: 'the request target is not a valid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { status: 400, reason: `the scheme ${parsed.protocol} is not proxied` };
  }
  if (parsed.username || parsed.password) {
    return { status: 400, reason: 'credentials in the request target are not allowed' };
  }
  const scheme = parsed.protocol === 'https:' ? 'https' : 'http';
  try {
    const { host, port } = parseAuthority(parsed.host, scheme === 'https' ? 443 : 80);
    return { scheme, host, port, path: `${parsed.pathname}${parsed.search}` };
  } catch (err) {
    return { status: 400, reason: err instanceof HostError ? err.message : 'the request target has a bad host' };
  }
}

export function isRejection<T extends object>(value: T | Rejection): value is Rejection {
  return 'status' in value;
}

/**
 * A request inside a CONNECT tunnel must be for the CONNECT host:port, or the
 * certificate chosen for one host would be presented to another (421, RFC 9110 §15.5.20).
 * `header` is the request's Host (HTTP/1.1) or :authority (h2).
 */
export function misdirected(header: string | undefined, target: RequestTarget, host: string, port: number): Rejection | null {
  const mismatch = (h: string, p: number | null): boolean => h !== host || (p !== null && p !== port);
  if (target.host !== null && mismatch(target.host, target.port)) {
    return { status: 421, reason: `this connection is for ${host}:${port}` };
  }
  // Nearly every client sends the CONNECT authority as it was: skip parsing then.
  if (header !== undefined && header !== host && header !== `${host}:${port}`) {
    try {
      const hasPort = /:\d+$/.test(header) && !header.endsWith(']');
      const parsed = parseAuthority(header, port);
      if (mismatch(parsed.host, hasPort ? parsed.port : null)) {
        return { status: 421, reason: `this connection is for ${host}:${port}` };
      }
    } catch {
      return { status: 400, reason: 'the Host header is not a valid host' };
    }
  }
  return null;
}
