import { describe, expect, it } from 'vitest';
import { HostError } from '../../src/errors.js';
import { expandPattern, isGlobPattern, MAX_ALTERNATIVES, validatePattern } from '../../src/match/pattern.js';

function patternError(pattern: string): HostError {
  try {
    validatePattern(pattern);
  } catch (err) {
    if (err instanceof HostError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(pattern)} to be rejected`);
}

describe('validatePattern', () => {
  it.each([
    ['*.Example.COM', '*.example.com'],
    ['*.example.com.', '*.example.com'],
    ['API.example.com.', 'api.example.com'],
    ['*', '*'],
    ['api-?.example.com', 'api-?.example.com'],
    ['{API,www}.Example.com', '{api,www}.example.com'],
    ['{,www.}example.com', '{,www.}example.com'],
    ['*.bücher.example', '*.xn--bcher-kva.example'],
    ['*.BÜCHER.example.', '*.xn--bcher-kva.example'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['*.xn--bcher-kva.example', '*.xn--bcher-kva.example'],
    ['10.0.0.1', '10.0.0.1'],
    ['10.0.0.*', '10.0.0.*'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['::1', '::1'],
  ])('%j -> %j', (pattern, canonical) => {
    expect(validatePattern(pattern)).toBe(canonical);
  });

  it.each([
    ['', 'it is empty'],
    ['!*.example.com', 'negated patterns are not supported'],
    ['#example.com', 'starts with "#"'],
    ['https://example.com', 'carries a protocol'],
    ['HTTP://*.example.com', 'carries a protocol'],
    ['example.com:443', 'carries a port'],
    ['*.example.com:8443', 'carries a port'],
    ['example.com:*', 'carries a port'],
    ['[::1]:443', 'carries a port'],
    ['example.com/path', 'contains "/"'],
    ['*.example.com/path', 'contains "/"'],
    ['user@*.example.com', 'contains "@"'],
    ['*.exa mple.com', 'a space'],
    ['*.example.com\u0000', 'control character (U+0000)'],
    ['*.ex%61mple.com', 'contains "%"'],
    ['*.exam\\ple.com', 'contains "\\\\"'],
    ['[a-z].example.com', 'bracket only belongs in a literal IPv6 address'],
    ['*.[ab].example.com', 'contains "["'],
    ['+(a|b).example.com', 'contains "+"'],
    ['*.*bücher.example', 'mixes wildcards with non-ASCII characters'],
    ['{bücher,books}.example', 'mixes wildcards with non-ASCII characters'],
    ['*.a\u200db.example', 'not a valid internationalised name'],
    ['*.xn--zz.example', 'not a valid internationalised name'],
    ['*.１２３.example', 'not a valid internationalised name'],
    ['*..example.com', 'empty label'],
    ['.example.com', 'empty label'],
    ['*.example.com..', 'empty label'],
    ['{a,}.example.com', '".example.com" has an empty label'],
    ['{a,b.example.com', 'braces are unbalanced'],
    ['a,b.example.com', 'braces are unbalanced'],
    ['{a}.example.com', 'braces are unbalanced'],
    [`*.${'a'.repeat(64)}.com`, 'longer than 63 characters'],
    [`*${'a'.repeat(64)}`, 'longer than 63 characters'],
    [`?${'.a'.repeat(127)}`, 'longer than 253 characters'],
    ['{a,b}'.repeat(10), `more than ${MAX_ALTERNATIVES} alternatives`],
    ['2001:db8::*', 'literal IPv6 address'],
    ['[*.example.com]', 'literal IPv6 address'],
    ['a:b:c', 'literal IPv6 address'],
    ['fe80::1%eth0', 'contains "%"'],
    ['exa mple.com', 'a space'],
    ['1.2.3.999', 'ends in a number but is not an IPv4 address'],
  ])('rejects %j with ERR_INVALID_PATTERN (%s)', (pattern, reason) => {
    const err = patternError(pattern);
    expect(err.code).toBe('ERR_INVALID_PATTERN');
    expect(err.message).toContain(JSON.stringify(pattern));
    expect(err.message).toContain(reason);
  });
});

describe('isGlobPattern', () => {
  it('tells exact hosts from wildcards and alternatives', () => {
    expect(isGlobPattern('api.example.com')).toBe(false);
    expect(isGlobPattern('::1')).toBe(false);
    expect(isGlobPattern('*.example.com')).toBe(true);
    expect(isGlobPattern('a?.example.com')).toBe(true);
    expect(isGlobPattern('{a,b}.example.com')).toBe(true);
  });
});

describe('expandPattern', () => {
  it('expands alternatives, nested ones and ranges, without duplicates', () => {
    expect(expandPattern('{api,www}.example.com')).toEqual(['api.example.com', 'www.example.com']);
    expect(expandPattern('{,www.}example.com')).toEqual(['example.com', 'www.example.com']);
    expect(expandPattern('{a,{b,c}}.x')).toEqual(['a.x', 'b.x', 'c.x']);
    expect(expandPattern('{a,a}.x')).toEqual(['a.x']);
    expect(expandPattern('node{1..3}.x')).toEqual(['node1.x', 'node2.x', 'node3.x']);
    expect(expandPattern('*.example.com')).toEqual(['*.example.com']);
  });
});
