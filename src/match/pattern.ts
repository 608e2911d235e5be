import { isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { braceExpand } from 'minimatch';
import { HostError } from '../errors.js';
import { describeChar, firstDisallowedChar, quote } from './chars.js';
import { MAX_HOST_LENGTH, MAX_LABEL_LENGTH, punycodeDecodes, tryCanonicalHost } from './host.js';

/** More alternatives than this is a typo, and expanding them all would stall the config load. */
export const MAX_ALTERNATIVES = 1000;

const GLOB_CHARS = /[*?{},]/;
const PATTERN_ASCII = /[a-z0-9._*?{},-]/i;
const ALTERNATIVE = /^[a-z0-9._*?-]+$/;

/** True when the canonical pattern has wildcards or alternatives, false for an exact host. */
export function isGlobPattern(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/**
 * The canonical form of a host pattern: lowercase, one trailing dot stripped,
 * non-ASCII labels in punycode, IP literals as canonicalHost writes them.
 * Throws HostError ERR_INVALID_PATTERN.
 */
export function validatePattern(pattern: string): string {
  if (pattern === '') throw invalidPattern(pattern, 'it is empty');
  if (pattern.startsWith('!')) {
    throw invalidPattern(pattern, 'negated patterns are not supported; list the hosts that should get the certificate');
  }
  if (pattern.startsWith('#')) throw invalidPattern(pattern, 'it starts with "#"');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pattern)) {
    throw invalidPattern(pattern, 'it carries a protocol; write the host name only, such as "example.com"');
  }
  if (/^\[.*\]:\d*$/s.test(pattern) || /^[^:]*:(?:\d*|\*)$/.test(pattern)) {
    throw invalidPattern(pattern, 'it carries a port; put the port in the rule\'s "port" field');
  }
  if (pattern.startsWith('[') || pattern.includes(':')) return ipv6Pattern(pattern);
  return isGlobPattern(pattern) ? canonicalGlob(pattern) : literalPattern(pattern);
}

/**
 * The alternatives `{a,b}` expands to, each a glob of `*` and `?` only.
 * Bash-style ranges such as `{1..3}` expand too, as minimatch does.
 */
export function expandPattern(canonical: string): string[] {
  return [...new Set(braceAlternatives(canonical))];
}

/** Stops one past the limit, so a longer list shows as too long rather than cut short. */
function braceAlternatives(pattern: string): string[] {
  return braceExpand(pattern, { braceExpandMax: MAX_ALTERNATIVES + 1 });
}

function ipv6Pattern(pattern: string): string {
  const address = pattern.startsWith('[') && pattern.endsWith(']') ? pattern.slice(1, -1) : pattern;
  if (!isIPv6(address)) {
    throw invalidPattern(pattern, 'a colon or bracket only belongs in a literal IPv6 address, which cannot hold wildcards');
  }
  return literalPattern(address);
}

function literalPattern(pattern: string): string {
  const result = tryCanonicalHost(pattern);
  if (!result.ok) throw invalidPattern(pattern, result.reason);
  return result.host;
}

function canonicalGlob(pattern: string): string {
  const bad = firstDisallowedChar(pattern, PATTERN_ASCII);
  if (bad !== undefined) throw invalidPattern(pattern, `it contains ${describeChar(bad)}`);
  const body = pattern.endsWith('.') ? pattern.slice(0, -1) : pattern;
  const canonical = body
    .split('.')
    .map((label) => canonicalGlobLabel(pattern, label))
    .join('.');

  const alternatives = braceAlternatives(canonical);
  if (alternatives.length > MAX_ALTERNATIVES) {
    throw invalidPattern(pattern, `it expands to more than ${MAX_ALTERNATIVES} alternatives`);
  }
  for (const alternative of new Set(alternatives)) checkAlternative(pattern, alternative);
  return canonical;
}

/** Labels are punycoded one by one so glob labels stay as written; plain `xn--` labels are checked the same way. */
function canonicalGlobLabel(pattern: string, label: string): string {
  const ascii = /^[\x20-\x7e]*$/.test(label);
  if (ascii && (GLOB_CHARS.test(label) || !/^xn--/i.test(label))) return label.toLowerCase();
  if (GLOB_CHARS.test(label)) {
    throw invalidPattern(pattern, `its label ${quote(label)} mixes wildcards with non-ASCII characters; write that label in punycode (xn--...)`);
  }
  const punycode = domainToASCII(label);
  // One label in must give one ASCII label out; UTS #46 may map a character to a dot or an IPv4 number.
  if (!/^[a-z0-9_-]+$/.test(punycode) || !punycodeDecodes(punycode)) {
    throw invalidPattern(pattern, `its label ${quote(label)} is not a valid internationalised name`);
  }
  return punycode;
}

/** Rejects alternatives no canonical host can ever match, so a typo does not pass silently. */
function checkAlternative(pattern: string, alternative: string): void {
  if (!ALTERNATIVE.test(alternative)) {
    throw invalidPattern(pattern, 'its braces are unbalanced, or a "," or "{...}" holds fewer than two alternatives');
  }
  if (alternative.replaceAll('*', '').length > MAX_HOST_LENGTH) {
    throw invalidPattern(pattern, `it can only match hosts longer than ${MAX_HOST_LENGTH} characters`);
  }
  for (const label of alternative.split('.')) {
    if (label === '') throw invalidPattern(pattern, `${quote(alternative)} has an empty label`);
    // `*` may span dots, but the literal runs between stars sit inside one host label.
    if (label.split('*').some((run) => run.length > MAX_LABEL_LENGTH)) {
      throw invalidPattern(pattern, `its label ${quote(label)} is longer than ${MAX_LABEL_LENGTH} characters`);
    }
  }
}

function invalidPattern(pattern: string, reason: string): HostError {
  return new HostError('ERR_INVALID_PATTERN', `Invalid host pattern ${quote(pattern)}: ${reason}.`);
}
