import { Minimatch, type MinimatchOptions } from 'minimatch';
import { expandPattern, isGlobPattern, validatePattern } from './pattern.js';

export interface MatchableRule {
  readonly index: number;
  readonly host: string;
  readonly ports: readonly number[] | '*';
}

/** `by` is chosen over `rule` for every host `rule` matches, on `ports` ('*': on every port). */
export interface Shadowing<R extends MatchableRule> {
  readonly rule: R;
  readonly by: R;
  readonly ports: readonly number[] | '*';
}

/**
 * Hosts hold no `/`, so minimatch sees one path segment and `*` runs across dots.
 * Braces are expanded beforehand (expandPattern) so each alternative keeps its own
 * literal count; `**` is only a longer way to write `*`.
 */
const GLOB_OPTIONS: MinimatchOptions = {
  nocase: true,
  nonegate: true,
  nocomment: true,
  nobrace: true,
  noext: true,
  noglobstar: true,
  dot: true,
  platform: 'linux',
};

export interface CompiledRule<R> {
  readonly rule: R;
  readonly exact: boolean;
  /** The hosts or globs the rule stands for: the canonical host, or each brace alternative. */
  readonly alternatives: ReadonlySet<string>;
}

interface WildcardEntry<R> {
  readonly rule: R;
  readonly glob: Minimatch;
  readonly literalChars: number;
}

/**
 * Picks the client-certificate rule for a host:port. Precedence, highest first:
 * an exact host over any wildcard; among wildcards, the alternative with more
 * literal (non `*`/`?`) characters; an explicit port list over '*'; the later
 * rule (higher index).
 */
export class HostMatcher<R extends MatchableRule> {
  readonly #rules: readonly CompiledRule<R>[];
  /** Canonical host -> its exact rules, best first. */
  readonly #exact = new Map<string, R[]>();
  /** Every wildcard alternative, best first, so the first hit wins. */
  readonly #wildcards: readonly WildcardEntry<R>[];

  /** Throws HostError ERR_INVALID_PATTERN for a rule whose host is not a valid pattern. */
  constructor(rules: readonly R[]) {
    this.#rules = rules.map((rule) => compileRule(rule));
    const wildcards: WildcardEntry<R>[] = [];
    for (const { rule, exact, alternatives } of this.#rules) {
      for (const alternative of alternatives) {
        if (exact) {
          const list = this.#exact.get(alternative) ?? [];
          list.push(rule);
          this.#exact.set(alternative, list);
        } else {
          const literalChars = alternative.replace(/[*?]/g, '').length;
          wildcards.push({ rule, glob: new Minimatch(alternative, GLOB_OPTIONS), literalChars });
        }
      }
    }
    for (const list of this.#exact.values()) list.sort(comparePortsThenOrder);
    this.#wildcards = wildcards.sort(
      (a, b) => b.literalChars - a.literalChars || comparePortsThenOrder(a.rule, b.rule),
    );
  }

  /** Each rule as compiled here, in file order: what the PAC file is written from. */
  compiled(): readonly CompiledRule<R>[] {
    return this.#rules;
  }

  /**
   * Every rule once, in the order match() tries them: exact hosts first (an explicit
   * port list before '*', then the later rule), then each wildcard at its best alternative.
   */
  precedence(): R[] {
    const exact = this.#rules.filter((c) => c.exact).map((c) => c.rule).sort(comparePortsThenOrder);
    return [...new Set([...exact, ...this.#wildcards.map((w) => w.rule)])];
  }

  /** `host` must already be canonical (canonicalHost or parseAuthority). */
  match(host: string, port: number): R | null {
    for (const rule of this.#exact.get(host) ?? []) {
      if (coversPort(rule.ports, port)) return rule;
    }
    for (const { rule, glob } of this.#wildcards) {
      if (coversPort(rule.ports, port) && glob.match(host)) return rule;
    }
    return null;
  }

  /** Every rule whose pattern matches `host` (canonical), whatever its ports, best first. */
  matchAnyPort(host: string): R[] {
    const found = new Set(this.#exact.get(host));
    for (const { rule, glob } of this.#wildcards) if (glob.match(host)) found.add(rule);
    return [...found];
  }

  /**
   * Rules that lose on some or all of their ports to one other rule, for every
   * host they match. Detected when the winner stands for every host or glob the
   * loser does, written the same after canonicalisation (duplicates, the same
   * pattern in another spelling, a brace alternative repeated elsewhere) and
   * outranks it. Not detected: a glob covered by a different, wider glob, or a
   * rule beaten only by several rules together.
   */
  shadowed(): Array<Shadowing<R>> {
    const found: Array<Shadowing<R>> = [];
    for (const loser of this.#rules) {
      for (const winner of this.#rules) {
        if (winner === loser || !outranks(winner, loser)) continue;
        if (![...loser.alternatives].every((alternative) => winner.alternatives.has(alternative))) continue;
        const ports = commonPorts(loser.rule.ports, winner.rule.ports);
        if (ports !== null) found.push({ rule: loser.rule, by: winner.rule, ports });
      }
    }
    return found;
  }
}

function compileRule<R extends MatchableRule>(rule: R): CompiledRule<R> {
  const pattern = validatePattern(rule.host);
  const exact = !isGlobPattern(pattern);
  return { rule, exact, alternatives: new Set(exact ? [pattern] : expandPattern(pattern)) };
}

/** A rule's ports as written in tables and messages: `443,8443` or `*`. */
export function portLabel(ports: readonly number[] | '*'): string {
  return ports === '*' ? '*' : ports.join(',');
}

function coversPort(ports: readonly number[] | '*', port: number): boolean {
  return ports === '*' || ports.includes(port);
}

/** Negative when `a` goes first: an explicit port list before '*', then the later rule. */
function comparePortsThenOrder(a: MatchableRule, b: MatchableRule): number {
  return Number(a.ports === '*') - Number(b.ports === '*') || b.index - a.index;
}

/** For an alternative both rules share (so the same literal count), does `a` win over `b`? */
function outranks<R extends MatchableRule>(a: CompiledRule<R>, b: CompiledRule<R>): boolean {
  if (a.exact !== b.exact) return a.exact;
  return comparePortsThenOrder(a.rule, b.rule) < 0;
}

function commonPorts(a: readonly number[] | '*', b: readonly number[] | '*'): readonly number[] | '*' | null {
  const common = a === '*' ? b : b === '*' ? a : a.filter((port) => b.includes(port));
  return common === '*' || common.length > 0 ? common : null;
}
