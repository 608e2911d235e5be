import { expandPattern, isGlobPattern, validatePattern } from './pattern.js';

/**
 * Why a wildcard can reach a name someone else may register:
 * - `ip-prefix`: the fixed start is an IPv4 prefix (`10.0.0.*` matches `10.0.0.evil.com`);
 * - `last-label`: a wildcard sits in the last label (`api.example.*`, `*`);
 * - `joined`: the `*` runs into the registrable name without a dot (`*example.com`);
 * - `short-suffix`: only one fixed label follows the wildcard (`*.com`, `example.*.com`).
 */
export type WildcardRisk = 'ip-prefix' | 'last-label' | 'joined' | 'short-suffix';

export interface RiskyPattern {
  readonly kind: WildcardRisk;
  /** The brace alternative at fault (the whole pattern when it has no braces). */
  readonly alternative: string;
  /** One sentence naming the pattern, what it also matches, and how to write it safely. */
  readonly message: string;
}

const WILDCARD = /[*?]/;
const IPV4_PREFIX = /^\d+(?:\.\d+)*\.?$/;

/**
 * A pattern is safe when every host it can match ends in a fixed `.<name>` of at
 * least two labels after its last wildcard: then every match sits under a domain
 * whoever wrote the rule chose. Two labels stand in for "a registrable domain"
 * (so `*.co.uk` passes: the public suffix list is not consulted). IPv6 patterns
 * hold no wildcards, and names never contain `:`, so they are always safe.
 * `pattern` is as written in the config; it must be valid (validatePattern).
 */
export function riskyPattern(pattern: string): RiskyPattern | null {
  const canonical = validatePattern(pattern);
  if (!isGlobPattern(canonical)) return null;
  const alternatives = expandPattern(canonical);
  for (const alternative of alternatives) {
    const kind = riskOf(alternative);
    if (kind === null) continue;
    const named = alternatives.length === 1 ? `"${pattern}"` : `"${pattern}" (its alternative "${alternative}")`;
    return { kind, alternative, message: describeRisk(named, alternative, kind) };
  }
  return null;
}

function riskOf(alternative: string): WildcardRisk | null {
  const last = lastWildcard(alternative);
  if (last < 0) return null;
  const tail = alternative.slice(last + 1);
  const dot = tail.indexOf('.');
  // The labels after the first dot of the fixed tail are what every match ends in.
  if (dot >= 0 && tail.slice(dot + 1).includes('.')) return null;
  if (IPV4_PREFIX.test(alternative.slice(0, alternative.search(WILDCARD)))) return 'ip-prefix';
  if (dot < 0) return 'last-label';
  return dot === 0 ? 'short-suffix' : 'joined';
}

function lastWildcard(alternative: string): number {
  return Math.max(alternative.lastIndexOf('*'), alternative.lastIndexOf('?'));
}

/** A name the alternative matches that a stranger could register: `*` as "evil" (a final one as "evil.com"), `?` as "x". */
function strangerName(alternative: string): string {
  const filled = alternative.endsWith('*') ? `${alternative.slice(0, -1)}evil.com` : alternative;
  return filled.replaceAll('*', 'evil').replaceAll('?', 'x');
}

function describeRisk(named: string, alternative: string, kind: WildcardRisk): string {
  const matches = `${named} also matches ${strangerName(alternative)}, a name anyone may register`;
  const head = alternative.slice(0, alternative.search(WILDCARD));
  const beforeLastLabel = alternative.slice(0, alternative.lastIndexOf('.') + 1);
  const tail = alternative.slice(lastWildcard(alternative) + 1);
  switch (kind) {
    case 'ip-prefix':
      return `${matches}: a wildcard after an IP address prefix reaches names too; list the addresses, such as "${/^(?:\d+\.){3}$/.test(head) ? head : '10.0.0.'}{1,2,3}", or write one rule per address`;
    case 'last-label':
      return beforeLastLabel === ''
        ? `${matches}: it matches every host; list the hosts that need the certificate, such as "*.example.com"`
        : `${matches}: a wildcard in the last label reaches other top-level domains; list the ones you mean, such as "${beforeLastLabel}{com,net}"`;
    case 'joined':
      return `${matches}: the "*" runs into the domain name without a dot; write "${alternative.slice(0, lastWildcard(alternative) + 1)}.${tail.replace(/^[^a-z0-9]+/, '')}" to stay under your own domain`;
    case 'short-suffix':
      return `${matches}: only "${tail.slice(1)}" follows the wildcard; name your own domain after it, such as "*.example${tail}"`;
  }
}
