import { isIP, isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import { HostError } from '../errors.js';
import { describeChar, firstDisallowedChar, quote } from './chars.js';

export const MAX_HOST_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

/** The ASCII characters a host name (or an IPv6 literal) may carry; `_` appears in real internal names. */
const HOST_ASCII = /[a-z0-9._:[\]-]/i;
const CANONICAL_NAME = /^[a-z0-9._-]+$/;
/** WHATWG URL rule: a name whose last label is a number must be an IPv4 address. */
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/i;

export type CanonicalHostResult = { readonly ok: true; readonly host: string } | { readonly ok: false; readonly reason: string };

/**
 * The one form every host is compared in: lowercase, without a trailing dot,
 * internationalised names in punycode, IPv4 as WHATWG URLs (and getaddrinfo)
 * read it, IPv6 unbracketed and compressed. Throws HostError ERR_INVALID_HOST.
 */
export function canonicalHost(input: string): string {
  const result = tryCanonicalHost(input);
  if (!result.ok) throw new HostError('ERR_INVALID_HOST', `Invalid host ${quote(input)}: ${result.reason}.`);
  return result.host;
}

/** canonicalHost without the throw, for callers that word the error themselves. */
export function tryCanonicalHost(input: string): CanonicalHostResult {
  if (input === '') return problem('it is empty');
  // A trailing dot may add one character to a full-length name.
  if (input.length > MAX_HOST_LENGTH + 1) return problem(`it is longer than ${MAX_HOST_LENGTH} characters`);
  const bad = firstDisallowedChar(input, HOST_ASCII);
  if (bad !== undefined) return problem(`it contains ${describeChar(bad)}`);

  const bracketed = /^\[(.*)\]$/s.exec(input);
  if (bracketed) {
    const inner = bracketed[1] ?? '';
    return isIPv6(inner) ? { ok: true, host: compressIpv6(inner) } : problem('only an IPv6 address may be written in brackets');
  }
  if (/[[\]]/.test(input)) return problem('it contains a bracket that does not enclose an IPv6 address');
  if (input.includes(':')) {
    return isIPv6(input) ? { ok: true, host: compressIpv6(input) } : problem('it contains ":" but is not an IPv6 address');
  }
  return canonicalName(input.endsWith('.') ? input.slice(0, -1) : input);
}

function canonicalName(name: string): CanonicalHostResult {
  if (name === '') return problem('it has an empty label');
  // domainToASCII runs the WHATWG host parser: IDNA (UTS #46), punycode checks and IPv4 number forms.
  const ascii = domainToASCII(name);
  if (ascii === '' || !CANONICAL_NAME.test(ascii)) {
    const last = name.slice(name.lastIndexOf('.') + 1);
    if (NUMERIC_LABEL.test(last)) return problem('it ends in a number but is not an IPv4 address');
    return problem('it is not a valid domain name (disallowed characters or a malformed punycode label)');
  }
  if (ascii.length > MAX_HOST_LENGTH) return problem(`it is longer than ${MAX_HOST_LENGTH} characters`);
  if (!punycodeDecodes(ascii)) return problem('it is not a valid domain name (disallowed characters or a malformed punycode label)');
  for (const label of ascii.split('.')) {
    if (label === '') return problem('it has an empty label');
    if (label.length > MAX_LABEL_LENGTH) return problem(`its label ${quote(label)} is longer than ${MAX_LABEL_LENGTH} characters`);
  }
  return { ok: true, host: ascii };
}

/**
 * Newer WHATWG URL parsers (Node 24) no longer refuse a malformed `xn--` label, so
 * each one must decode to something else: domainToUnicode leaves a bad one as is.
 */
export function punycodeDecodes(ascii: string): boolean {
  return ascii.split('.').every((label) => !label.startsWith('xn--') || domainToUnicode(label) !== label);
}

/** The WHATWG URL serialiser writes IPv6 in RFC 5952 form: lowercase, longest zero run compressed. */
function compressIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function problem(reason: string): CanonicalHostResult {
  return { ok: false, reason };
}

export function isIpLiteral(host: string): 0 | 4 | 6 {
  return isIP(host) as 0 | 4 | 6;
}

/**
 * Splits "host:port", "[v6]:port", or a bare host when `defaultPort` is given.
 * Throws HostError ERR_INVALID_AUTHORITY, or ERR_INVALID_HOST for the host part.
 */
export function parseAuthority(authority: string, defaultPort?: number): { host: string; port: number } {
  let host = authority;
  let port: string | undefined;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) throw invalidAuthority(authority, 'it opens "[" without closing it');
    host = authority.slice(0, end + 1);
    const rest = authority.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw invalidAuthority(authority, 'only ":port" may follow "]"');
    if (rest !== '') port = rest.slice(1);
  } else {
    const colon = authority.indexOf(':');
    if (colon >= 0 && authority.includes(':', colon + 1)) {
      throw invalidAuthority(authority, 'an IPv6 address must be written in brackets');
    }
    if (colon >= 0) {
      host = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
  }
  return { host: canonicalHost(host), port: parsePort(authority, port, defaultPort) };
}

function parsePort(authority: string, port: string | undefined, defaultPort: number | undefined): number {
  if (port === undefined) {
    if (defaultPort === undefined) throw invalidAuthority(authority, 'it has no port');
    return defaultPort;
  }
  const number = /^\d{1,5}$/.test(port) ? Number(port) : 0;
  if (number < 1 || number > 65535) throw invalidAuthority(authority, `its port ${quote(port)} is not a number from 1 to 65535`);
  return number;
}

function invalidAuthority(authority: string, reason: string): HostError {
  return new HostError('ERR_INVALID_AUTHORITY', `Invalid authority ${quote(authority)}: ${reason}.`);
}

/** host:port with IPv6 in brackets, the form CONNECT and Host headers use. */
export function formatAuthority(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
