import { describe, expect, it } from 'vitest';
import { HostError } from '../../src/errors.js';
import { canonicalHost, formatAuthority, isIpLiteral, parseAuthority } from '../../src/match/host.js';

function hostErrorOf(run: () => unknown): HostError {
  try {
    run();
  } catch (err) {
    if (err instanceof HostError) return err;
    throw err;
  }
  throw new Error('expected a HostError, got none');
}

describe('canonicalHost', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['A.B.', 'a.b'],
    ['a.b', 'a.b'],
    ['localhost', 'localhost'],
    ['my_host.internal', 'my_host.internal'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.Example.', 'xn--bcher-kva.example'],
    ['XN--BCHER-KVA.example', 'xn--bcher-kva.example'],
    ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
    ['ａｂ．ｃｏｍ', 'ab.com'],
    ['10.1.2.3', '10.1.2.3'],
    ['10.1.2.3.', '10.1.2.3'],
    // Forms getaddrinfo and WHATWG URLs read as IPv4, so the match follows where the connection goes.
    ['127.1', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['[2001:db8:0:0:0:0:0:5]', '2001:db8::5'],
  ])('%j -> %j', (input, expected) => {
    expect(canonicalHost(input)).toBe(expected);
  });

  it('accepts a name of exactly 253 characters, with or without a trailing dot', () => {
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(name).toHaveLength(253);
    expect(canonicalHost(name)).toBe(name);
    expect(canonicalHost(`${name}.`)).toBe(name);
  });

  it.each([
    ['', 'it is empty'],
    ['.', 'empty label'],
    ['a..b', 'empty label'],
    ['.a.b', 'empty label'],
    ['a.b..', 'empty label'],
    [`${'a'.repeat(64)}.com`, 'longer than 63 characters'],
    [`${'a.'.repeat(126)}ab`, 'longer than 253 characters'],
    ['a\\b.com', 'contains "\\\\"'],
    ['a/b.com', 'contains "/"'],
    ['user@a.com', 'contains "@"'],
    ['a%2eb.com', 'contains "%"'],
    ['a\u0000b.com', 'a control character (U+0000)'],
    ['a b.com', 'a space'],
    ['a\tb.com', 'whitespace character (U+0009)'],
    ['a\u00a0b.com', 'whitespace character (U+00A0)'],
    ['a?b.com', 'contains "?"'],
    ['a*b.com', 'contains "*"'],
    ['a#b.com', 'contains "#"'],
    ['a.com:443', 'not an IPv6 address'],
    ['fe80::1%eth0', 'contains "%"'],
    ['1::2::3', 'not an IPv6 address'],
    ['[example.com]', 'only an IPv6 address may be written in brackets'],
    ['a[b].com', 'bracket'],
    ['1.2.3.999', 'ends in a number but is not an IPv4 address'],
    ['host.123', 'ends in a number but is not an IPv4 address'],
    ['xn--zz.com', 'not a valid domain name'],
    ['a\u200db.com', 'not a valid domain name'],
  ])('rejects %j (%s)', (input, reason) => {
    const err = hostErrorOf(() => canonicalHost(input));
    expect(err.code).toBe('ERR_INVALID_HOST');
    expect(err.message).toContain(JSON.stringify(input));
    expect(err.message).toContain(reason);
  });

  it('shortens a very long host in its message', () => {
    const err = hostErrorOf(() => canonicalHost('a'.repeat(5000)));
    expect(err.message.length).toBeLessThan(400);
  });
});

describe('isIpLiteral', () => {
  it.each([
    ['10.0.0.1', 4],
    ['::1', 6],
    ['2001:db8::5', 6],
    ['example.com', 0],
    ['[::1]', 0],
    ['10.0.0', 0],
  ] as const)('%j -> %d', (host, family) => {
    expect(isIpLiteral(host)).toBe(family);
  });
});

describe('parseAuthority', () => {
  it.each([
    ['example.com:443', undefined, { host: 'example.com', port: 443 }],
    ['Example.COM.:8443', undefined, { host: 'example.com', port: 8443 }],
    ['[::1]:8080', undefined, { host: '::1', port: 8080 }],
    ['[2001:DB8::0:5]:1', undefined, { host: '2001:db8::5', port: 1 }],
    ['10.0.0.1:65535', undefined, { host: '10.0.0.1', port: 65535 }],
    ['example.com', 443, { host: 'example.com', port: 443 }],
    ['[::1]', 80, { host: '::1', port: 80 }],
    ['bücher.example:443', undefined, { host: 'xn--bcher-kva.example', port: 443 }],
  ] as const)('%j (default %j)', (authority, defaultPort, expected) => {
    expect(parseAuthority(authority, defaultPort)).toEqual(expected);
  });

  it.each([
    ['example.com', undefined, 'it has no port'],
    ['example.com:', undefined, 'is not a number from 1 to 65535'],
    ['example.com:0', undefined, 'is not a number from 1 to 65535'],
    ['example.com:65536', undefined, 'is not a number from 1 to 65535'],
    ['example.com:+443', undefined, 'is not a number from 1 to 65535'],
    ['example.com:443x', undefined, 'is not a number from 1 to 65535'],
    ['example.com:123456', undefined, 'is not a number from 1 to 65535'],
    ['::1:443', 443, 'an IPv6 address must be written in brackets'],
    ['[::1', 443, 'without closing it'],
    ['[::1]x', 443, 'only ":port" may follow "]"'],
  ] as const)('rejects %j with ERR_INVALID_AUTHORITY (%s)', (authority, defaultPort, reason) => {
    const err = hostErrorOf(() => parseAuthority(authority, defaultPort));
    expect(err.code).toBe('ERR_INVALID_AUTHORITY');
    expect(err.message).toContain(JSON.stringify(authority));
    expect(err.message).toContain(reason);
  });

  it.each([
    ['user@example.com:443', 'contains "@"'],
    [':443', 'it is empty'],
    ['[example.com]:443', 'brackets'],
    ['a b:443', 'a space'],
  ])('rejects the host of %j with ERR_INVALID_HOST', (authority, reason) => {
    const err = hostErrorOf(() => parseAuthority(authority));
    expect(err.code).toBe('ERR_INVALID_HOST');
    expect(err.message).toContain(reason);
  });
});

describe('formatAuthority', () => {
  it('brackets IPv6 and only IPv6', () => {
    expect(formatAuthority('::1', 443)).toBe('[::1]:443');
    expect(formatAuthority('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(formatAuthority('example.com', 8443)).toBe('example.com:8443');
  });
});
