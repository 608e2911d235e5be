import { describe, expect, it } from 'vitest';
import { HostError } from '../../src/errors.js';
import { canonicalHost } from '../../src/match/host.js';
import { HostMatcher, type MatchableRule } from '../../src/match/matcher.js';

type Ports = readonly number[] | '*';

/** Rules as config hands them over: index = position in the file. */
function rules(...specs: Array<[host: string, ports?: Ports]>): MatchableRule[] {
  return specs.map(([host, ports = [443]], index) => ({ index, host, ports }));
}

/** The index of the rule chosen for host:port, or null; the host goes through canonicalHost as callers do. */
function winner(matcher: HostMatcher<MatchableRule>, host: string, port = 443): number | null {
  return matcher.match(canonicalHost(host), port)?.index ?? null;
}

describe('HostMatcher.match: patterns', () => {
  const matcher = new HostMatcher(rules(['*.example.com']));

  it.each(['a.example.com', 'a.b.c.example.com', 'A.Example.COM.', 'x-1.example.com'])('*.example.com covers %j', (host) => {
    expect(winner(matcher, host)).toBe(0);
  });

  it.each(['example.com', 'badexample.com', 'example.com.evil.org', 'a.example.co', 'example.org'])(
    '*.example.com does not cover %j',
    (host) => {
      expect(winner(matcher, host)).toBeNull();
    },
  );

  it('matches ? against exactly one character', () => {
    const m = new HostMatcher(rules(['api-?.example.com']));
    expect(winner(m, 'api-1.example.com')).toBe(0);
    expect(winner(m, 'api-12.example.com')).toBeNull();
    expect(winner(m, 'api-.example.com')).toBeNull();
  });

  it('matches {a,b} alternatives', () => {
    const m = new HostMatcher(rules(['{api,www}.example.com'], ['{,www.}example.org']));
    expect(winner(m, 'api.example.com')).toBe(0);
    expect(winner(m, 'www.example.com')).toBe(0);
    expect(winner(m, 'ftp.example.com')).toBeNull();
    expect(winner(m, 'example.org')).toBe(1);
    expect(winner(m, 'www.example.org')).toBe(1);
    expect(winner(m, 'ftp.example.org')).toBeNull();
  });

  it('ignores case in patterns and hosts', () => {
    const m = new HostMatcher(rules(['*.Example.COM'], ['API.Partner.org']));
    expect(winner(m, 'X.EXAMPLE.com')).toBe(0);
    expect(winner(m, 'api.partner.ORG')).toBe(1);
  });

  it('ignores a trailing dot: A.B. and a.b get the same rule', () => {
    const m = new HostMatcher(rules(['a.b'], ['*.c.d.']));
    expect(winner(m, 'A.B.')).toBe(0);
    expect(winner(m, 'a.b')).toBe(0);
    expect(winner(m, 'X.C.D.')).toBe(1);
    expect(winner(m, 'x.c.d')).toBe(1);
  });

  it('compares internationalised names in punycode', () => {
    const m = new HostMatcher(rules(['bücher.example'], ['*.BÜCHER.example'], ['xn--r8jz45g.*']));
    expect(winner(m, 'xn--bcher-kva.example')).toBe(0);
    expect(winner(m, 'BÜCHER.example.')).toBe(0);
    expect(winner(m, 'shop.bücher.example')).toBe(1);
    expect(winner(m, 'shop.xn--bcher-kva.example')).toBe(1);
    expect(winner(m, '例え.テスト')).toBe(2);
  });

  it('matches IPv4 literals literally', () => {
    const m = new HostMatcher(rules(['10.0.0.1'], ['192.168.1.*'], ['127.0.0.1']));
    expect(winner(m, '10.0.0.1')).toBe(0);
    expect(winner(m, '10.0.0.10')).toBeNull();
    expect(winner(m, '110.0.0.1')).toBeNull();
    expect(winner(m, '192.168.1.77')).toBe(1);
    expect(winner(m, '192.168.10.7')).toBeNull();
    // 127.1 is where a connection to "127.1" goes.
    expect(winner(m, '127.1')).toBe(2);
  });

  it('matches IPv6 literals written without brackets, in any spelling', () => {
    const m = new HostMatcher(rules(['2001:db8::1'], ['[::1]'], ['2001:DB8:0:0:0:0:0:2']));
    expect(winner(m, '[2001:DB8:0::1]')).toBe(0);
    expect(winner(m, '2001:db8:0:0:0:0:0:1')).toBe(0);
    expect(winner(m, '::1')).toBe(1);
    expect(winner(m, '0:0:0:0:0:0:0:1')).toBe(1);
    expect(winner(m, '2001:db8::2')).toBe(2);
    expect(winner(m, '2001:db8::3')).toBeNull();
  });

  it('returns the rule object it was given', () => {
    const given = rules(['*.example.com']);
    expect(new HostMatcher(given).match('a.example.com', 443)).toBe(given[0]);
  });

  it('matches nothing without rules', () => {
    expect(new HostMatcher([]).match('example.com', 443)).toBeNull();
  });

  it('rejects an invalid pattern with ERR_INVALID_PATTERN', () => {
    expect(() => new HostMatcher(rules(['https://example.com']))).toThrow(HostError);
    expect(() => new HostMatcher(rules(['example.com:443']))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_PATTERN' }),
    );
  });
});

describe('HostMatcher.match: ports', () => {
  it('covers only the listed ports', () => {
    const m = new HostMatcher(rules(['a.example.com'], ['b.example.com', [443, 8443]]));
    expect(winner(m, 'a.example.com', 443)).toBe(0);
    expect(winner(m, 'a.example.com', 8443)).toBeNull();
    expect(winner(m, 'b.example.com', 8443)).toBe(1);
    expect(winner(m, 'b.example.com', 9443)).toBeNull();
  });

  it("covers every port with '*'", () => {
    const m = new HostMatcher(rules(['*.example.com', '*']));
    for (const port of [1, 80, 443, 8443, 65535]) expect(winner(m, 'a.example.com', port)).toBe(0);
  });

  it('falls through to a wildcard when the exact rule does not cover the port', () => {
    const m = new HostMatcher(rules(['api.example.com', [8443]], ['*.example.com']));
    expect(winner(m, 'api.example.com', 8443)).toBe(0);
    expect(winner(m, 'api.example.com', 443)).toBe(1);
  });
});

describe('HostMatcher.match: precedence', () => {
  it('walks the whole ladder: exact, literal count, explicit port, later rule', () => {
    const all = rules(
      ['api.example.com', '*'], //      0: exact, any port
      ['api.example.com', [443]], //    1: exact, explicit port
      ['*.example.com', [443]], //      2: 12 literal characters, explicit port
      ['api.example.*', [443]], //      3: 12 literal characters, explicit port, later than 2
      ['api.*.com', [443]], //          4: 8 literal characters
      ['*.example.com', '*'], //        5: 12 literal characters, any port
      ['*', [443]], //                  6: no literal characters
    );
    const expectedOrder = [1, 0, 3, 2, 5, 4, 6];
    let remaining = all;
    for (const expected of expectedOrder) {
      expect(winner(new HostMatcher(remaining), 'api.example.com')).toBe(expected);
      remaining = remaining.filter((rule) => rule.index !== expected);
    }
    expect(winner(new HostMatcher(remaining), 'api.example.com')).toBeNull();
  });

  it('lets an exact host win over any wildcard, wherever it stands', () => {
    expect(winner(new HostMatcher(rules(['api.example.com', '*'], ['*.example.com'], ['{api,www}.example.com'])), 'api.example.com')).toBe(0);
    expect(winner(new HostMatcher(rules(['*.example.com'], ['{api,www}.example.com'], ['api.example.com', '*'])), 'api.example.com')).toBe(2);
  });

  it('lets more literal characters win, whatever the order and ports', () => {
    expect(winner(new HostMatcher(rules(['*.internal.example.com', '*'], ['*.example.com'])), 'a.internal.example.com')).toBe(0);
    expect(winner(new HostMatcher(rules(['*.example.com'], ['*.internal.example.com', '*'])), 'a.internal.example.com')).toBe(1);
  });

  it('counts literal characters per brace alternative', () => {
    // As a whole `{a,bbbbbbbb}.*.com` has more literal characters than `a.*.com`; its `a` alternative does not.
    expect(winner(new HostMatcher(rules(['{a,bbbbbbbb}.*.com'], ['a.*.com'])), 'a.x.com')).toBe(1);
    expect(winner(new HostMatcher(rules(['a.*.com'], ['{a,bbbbbbbb}.*.com'])), 'a.x.com')).toBe(1);
    expect(winner(new HostMatcher(rules(['{a,bbbbbbbb}.*.com'], ['?.*.com'])), 'bbbbbbbb.x.com')).toBe(0);
  });

  it("lets an explicit port win over '*' between equally literal rules", () => {
    expect(winner(new HostMatcher(rules(['*.example.com', [443]], ['api.example.*', '*'])), 'api.example.com')).toBe(0);
    expect(winner(new HostMatcher(rules(['api.example.*', '*'], ['*.example.com', [443]])), 'api.example.com')).toBe(1);
    expect(winner(new HostMatcher(rules(['api.example.com', [443]], ['api.example.com', '*'])), 'api.example.com')).toBe(0);
  });

  it('gives a remaining tie to the later rule', () => {
    expect(winner(new HostMatcher(rules(['*.example.com'], ['api.example.*'])), 'api.example.com')).toBe(1);
    expect(winner(new HostMatcher(rules(['api.example.*'], ['*.example.com'])), 'api.example.com')).toBe(1);
    expect(winner(new HostMatcher(rules(['api.example.com'], ['API.example.com.'])), 'api.example.com')).toBe(1);
    expect(winner(new HostMatcher(rules(['*.example.com', '*'], ['*.example.com', '*'])), 'a.example.com', 8080)).toBe(1);
  });

  it('breaks ties on the index, not on the position in the list', () => {
    const reordered: MatchableRule[] = [
      { index: 1, host: '*.example.com', ports: [443] },
      { index: 0, host: '*.example.com', ports: [443] },
    ];
    expect(new HostMatcher(reordered).match('a.example.com', 443)?.index).toBe(1);
  });
});

describe('HostMatcher.precedence', () => {
  it('lists every rule once, in the order match() tries them', () => {
    const all = rules(
      ['*', [443]], //                  0: no literal characters
      ['api.example.com', '*'], //      1: exact, any port
      ['{a,bbbbbbbbbbbbbbbbbbbb}.example.com', [443]], // 2: its long alternative beats 3
      ['*.example.com', [443]], //      3: 12 literal characters
      ['api.example.com', [443]], //    4: exact, explicit port
    );
    expect(new HostMatcher(all).precedence().map((rule) => rule.index)).toEqual([4, 1, 2, 3, 0]);
  });
});

describe('HostMatcher.shadowed', () => {
  const shadowing = (...specs: Array<[host: string, ports?: Ports]>) =>
    new HostMatcher(rules(...specs)).shadowed().map(({ rule, by, ports }) => ({ rule: rule.index, by: by.index, ports }));

  it('reports the earlier of two identical rules', () => {
    expect(shadowing(['api.example.com'], ['api.example.com'])).toEqual([{ rule: 0, by: 1, ports: [443] }]);
    expect(shadowing(['*.example.com', '*'], ['*.example.com', '*'])).toEqual([{ rule: 0, by: 1, ports: '*' }]);
  });

  it('compares patterns in their canonical form', () => {
    expect(shadowing(['*.Example.COM.'], ['*.example.com'])).toEqual([{ rule: 0, by: 1, ports: [443] }]);
    expect(shadowing(['bücher.example'], ['xn--bcher-kva.example'])).toEqual([{ rule: 0, by: 1, ports: [443] }]);
    expect(shadowing(['[::1]'], ['0:0:0:0:0:0:0:1'])).toEqual([{ rule: 0, by: 1, ports: [443] }]);
    expect(shadowing(['{a,b}.x'], ['{b,a}.x'])).toEqual([{ rule: 0, by: 1, ports: [443] }]);
  });

  it('reports only the overlapping ports', () => {
    expect(shadowing(['*.example.com', [443, 8443]], ['*.example.com', [8443, 9443]])).toEqual([
      { rule: 0, by: 1, ports: [8443] },
    ]);
    expect(shadowing(['*.example.com', [443]], ['*.example.com', [8443]])).toEqual([]);
  });

  it("reports a '*' rule losing the ports an explicit rule names, even an earlier one", () => {
    expect(shadowing(['api.example.com', [443, 8443]], ['api.example.com', '*'])).toEqual([
      { rule: 1, by: 0, ports: [443, 8443] },
    ]);
    expect(shadowing(['api.example.com', '*'], ['api.example.com', [8443]])).toEqual([{ rule: 0, by: 1, ports: [8443] }]);
  });

  it('reports a rule whose every alternative a later rule repeats', () => {
    expect(shadowing(['{a,b}.x'], ['{a,b,c}.x'])).toEqual([{ rule: 0, by: 1, ports: [443] }]);
    expect(shadowing(['{a,b,c}.x'], ['{a,b}.x'])).toEqual([]);
    expect(shadowing(['{a,a}.x'], ['a.x'])).toEqual([{ rule: 0, by: 1, ports: [443] }]);
  });

  it('reports nothing for rules that each win somewhere', () => {
    expect(shadowing(['*.example.com'], ['*.example.org'], ['api.example.com'], ['{api,www}.example.com'])).toEqual([]);
    expect(shadowing(['api.example.com'], ['*.example.com'])).toEqual([]);
  });
});
