import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHost, formatAuthority, parseAuthority, tryCanonicalHost } from '../../src/match/host.js';
import { HostMatcher, type MatchableRule } from '../../src/match/matcher.js';
import { expandPattern, isGlobPattern, validatePattern } from '../../src/match/pattern.js';

type Ports = readonly number[] | '*';

// ---- arbitraries -----------------------------------------------------------

/** An ASCII label that is never a punycode (xn--) label. */
const asciiLabel = fc
  .stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/)
  .filter((label) => label.slice(2, 4) !== '--');
const idnLabel = fc.constantFrom('bücher', 'münchen', '例え', 'тест', 'ñandú');
const topLabel = fc.stringMatching(/^[a-z]{2,6}$/);
const domain = fc
  .tuple(fc.array(fc.oneof(asciiLabel, idnLabel), { maxLength: 3 }), topLabel)
  .map(([labels, top]) => [...labels, top].join('.'));

/** The same name as a user might type it: any letters upper case, maybe a trailing dot. */
function spelledDifferently(host: string): fc.Arbitrary<string> {
  const chars = [...host];
  return fc
    .tuple(fc.array(fc.boolean(), { minLength: chars.length, maxLength: chars.length }), fc.boolean())
    .map(([upper, dot]) => chars.map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('') + (dot ? '.' : ''));
}

const ports: fc.Arbitrary<Ports> = fc.constantFrom<Ports>('*', [443], [8443], [443, 8443]);
const port = fc.constantFrom(443, 8443, 9443);

// A small alphabet, so generated patterns and hosts run into each other often.
const smallLabel = fc.constantFrom('a', 'b', 'ab', 'bücher');
const smallHost = fc
  .tuple(fc.array(smallLabel, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'org'))
  .map(([labels, top]) => [...labels, top].join('.'));
const patternLabel = fc.oneof(smallLabel, fc.constantFrom('*', '?', 'a*', '*b', '?b', '{a,b}', '{ab,b*}'));
const pattern = fc
  .tuple(fc.array(patternLabel, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'org', '*'))
  .map(([labels, top]) => [...labels, top].join('.'));
const ruleSpecs = fc.array(fc.tuple(pattern, ports), { maxLength: 8 });
/** Few patterns, several spellings of each, so rules often repeat one another. */
const collidingSpecs = fc.array(
  fc.tuple(fc.constantFrom('*.com', 'A.com.', 'a.com', '{a,b}.com', '{b,a}.com', '{a,b,ab}.com', '?.com', 'a.*'), ports),
  { maxLength: 8 },
);

function toRules(specs: ReadonlyArray<readonly [string, Ports]>): MatchableRule[] {
  return specs.map(([host, rulePorts], index) => ({ index, host, ports: rulePorts }));
}

// ---- an independent reference ----------------------------------------------

/** A glob of `*` and `?` as a RegExp written here, not by minimatch: `*` runs across dots. */
function globRegExp(glob: string): RegExp {
  const source = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.\\^$+()[\]{}|]/g, '\\$&')));
  return new RegExp(`^${source.join('')}$`);
}

/** The contract's precedence, spelled out as a sort key over every rule alternative that matches. */
function referenceMatch(rules: readonly MatchableRule[], host: string, atPort: number): MatchableRule | null {
  let best: { rule: MatchableRule; key: number[] } | null = null;
  for (const rule of rules) {
    if (rule.ports !== '*' && !rule.ports.includes(atPort)) continue;
    const canonical = validatePattern(rule.host);
    for (const alternative of expandPattern(canonical)) {
      if (!globRegExp(alternative).test(host)) continue;
      const key = [
        isGlobPattern(canonical) ? 0 : 1,
        alternative.replace(/[*?]/g, '').length,
        rule.ports === '*' ? 0 : 1,
        rule.index,
      ];
      if (best === null || compareKeys(key, best.key) > 0) best = { rule, key };
    }
  }
  return best?.rule ?? null;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Hosts a glob alternative matches, made by filling `*` and `?` in a few ways. */
function instancesOf(alternative: string): string[] {
  return ['z', 'z.y', 'zz']
    .map((fill) => alternative.replaceAll('*', fill).replaceAll('?', 'q'))
    .flatMap((host) => {
      const result = tryCanonicalHost(host);
      return result.ok ? [result.host] : [];
    });
}

// ---- properties ------------------------------------------------------------

describe('canonicalHost properties', () => {
  const anyInput = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    domain.chain(spelledDifferently),
    fc.ipV4(),
    fc.ipV4Extended(),
    fc.ipV6(),
    fc.ipV6().map((address) => `[${address.toUpperCase()}]`),
  );

  it('is idempotent, and gives lowercase ASCII of at most 253 characters', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const result = tryCanonicalHost(input);
        if (!result.ok) return;
        expect(canonicalHost(result.host)).toBe(result.host);
        expect(result.host).toMatch(/^[a-z0-9._:-]+$/);
        expect(result.host.length).toBeLessThanOrEqual(253);
      }),
      { numRuns: 500 },
    );
  });

  it('ignores case and one trailing dot', () => {
    fc.assert(
      fc.property(
        domain.chain((host) => fc.tuple(fc.constant(host), spelledDifferently(host))),
        ([host, spelling]) => {
          expect(canonicalHost(spelling)).toBe(canonicalHost(host));
        },
      ),
    );
  });

  it('round-trips through formatAuthority and parseAuthority', () => {
    const host = fc.oneof(domain, fc.ipV4(), fc.ipV6()).map(canonicalHost);
    fc.assert(
      fc.property(host, fc.integer({ min: 1, max: 65535 }), (canonical, atPort) => {
        expect(parseAuthority(formatAuthority(canonical, atPort))).toEqual({ host: canonical, port: atPort });
      }),
    );
  });
});

describe('HostMatcher properties', () => {
  it('*.d matches exactly the hosts ending in .d, never d itself', () => {
    const hostAndSuffix = domain.chain((d) =>
      fc.tuple(fc.constant(d), fc.oneof(domain, domain.map((prefix) => `${prefix}.${d}`))),
    );
    fc.assert(
      fc.property(hostAndSuffix, ([d, host]) => {
        const suffix = canonicalHost(d);
        const canonical = canonicalHost(host);
        const matcher = new HostMatcher([{ index: 0, host: `*.${d}`, ports: '*' }]);
        expect(matcher.match(suffix, 443)).toBeNull();
        expect(matcher.match(canonical, 443) !== null).toBe(canonical.endsWith(`.${suffix}`));
      }),
    );
  });

  it('gives every spelling of a host the same rule', () => {
    const spellings = smallHost.chain((host) => fc.tuple(fc.constant(host), spelledDifferently(host)));
    fc.assert(
      fc.property(ruleSpecs, spellings, port, (specs, [host, spelling], atPort) => {
        const matcher = new HostMatcher(toRules(specs));
        expect(matcher.match(canonicalHost(spelling), atPort)).toBe(matcher.match(canonicalHost(host), atPort));
      }),
    );
  });

  it('chooses what the precedence rules say, judged by an independent reference', () => {
    fc.assert(
      fc.property(ruleSpecs, smallHost, port, (specs, host, atPort) => {
        const rules = toRules(specs);
        const canonical = canonicalHost(host);
        expect(new HostMatcher(rules).match(canonical, atPort)).toBe(referenceMatch(rules, canonical, atPort));
      }),
      { numRuns: 500 },
    );
  });

  it('lets an exact rule win whatever wildcard rules exist', () => {
    const wildcards = fc.array(fc.tuple(pattern, ports), { maxLength: 8 }).map((specs) =>
      specs.filter(([glob]) => isGlobPattern(validatePattern(glob))),
    );
    fc.assert(
      fc.property(wildcards, smallHost, port, fc.nat(), fc.boolean(), (specs, host, atPort, at, anyPort) => {
        const exact: [string, Ports] = [host, anyPort ? '*' : [atPort]];
        const withExact = [...specs.slice(0, at % (specs.length + 1)), exact, ...specs.slice(at % (specs.length + 1))];
        const rules = toRules(withExact);
        const expected = rules.find((rule) => rule.host === host);
        expect(new HostMatcher(rules).match(canonicalHost(host), atPort)).toBe(expected);
      }),
    );
  });

  it('reports as shadowed only rules that never win on the reported ports', () => {
    fc.assert(
      fc.property(fc.oneof(ruleSpecs, collidingSpecs), (specs) => {
        const rules = toRules(specs);
        const matcher = new HostMatcher(rules);
        for (const { rule, by, ports: lost } of matcher.shadowed()) {
          expect(rule).not.toBe(by);
          for (const alternative of expandPattern(validatePattern(rule.host))) {
            for (const host of instancesOf(alternative)) {
              for (const atPort of lost === '*' ? [443, 8443, 9443] : lost) {
                expect(matcher.match(host, atPort)).not.toBe(rule);
              }
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('always reports the earlier of two identical rules', () => {
    fc.assert(
      fc.property(ruleSpecs, fc.tuple(pattern, ports), fc.nat(), (specs, duplicate, at) => {
        const position = at % (specs.length + 1);
        const rules = toRules([...specs.slice(0, position), duplicate, ...specs, duplicate]);
        const shadowed = new HostMatcher(rules).shadowed();
        const earlier = rules[position];
        expect(shadowed.some(({ rule }) => rule === earlier)).toBe(true);
      }),
    );
  });
});
