import { describe, expect, it } from 'vitest';
import { riskyPattern, type WildcardRisk } from '../../src/match/risky-patterns.js';

describe('riskyPattern', () => {
  it.each([
    '*.example.com',
    '*.*.example.com',
    'api-*.example.com',
    'api-?.example.com',
    '*foo.example.com',
    'a*b.example.com',
    '*.example.{com,net}',
    '{a,b}.*.example.com',
    'api.example.com',
    'api.example.{com,net}',
    '10.0.0.1',
    '10.0.0.{1,2,3}',
    '::1',
    '*.co.uk',
    '*.10.0.0.1',
    '10.0.0.*.example.com',
    'api.example.com.',
  ])('%s is safe', (pattern) => {
    expect(riskyPattern(pattern)).toBeNull();
  });

  it.each<[string, WildcardRisk, string]>([
    ['api.example.*', 'last-label', 'api.example.*'],
    ['api.example.co?', 'last-label', 'api.example.co?'],
    ['api.example.c*m', 'last-label', 'api.example.c*m'],
    ['*', 'last-label', '*'],
    ['*com', 'last-label', '*com'],
    ['10.0.0.*', 'ip-prefix', '10.0.0.*'],
    ['10.0.0.?', 'ip-prefix', '10.0.0.?'],
    ['10.0.*.1', 'ip-prefix', '10.0.*.1'],
    ['192.168.*', 'ip-prefix', '192.168.*'],
    ['*example.com', 'joined', '*example.com'],
    ['www.*example.com', 'joined', 'www.*example.com'],
    ['*-example.com', 'joined', '*-example.com'],
    ['*.com', 'short-suffix', '*.com'],
    ['example.*.com', 'short-suffix', 'example.*.com'],
    ['*.example.{com,*}', 'last-label', '*.example.*'],
    ['{*.example.com,*example.org}', 'joined', '*example.org'],
    ['API.Example.*', 'last-label', 'api.example.*'],
  ])('%s is risky (%s)', (pattern, kind, alternative) => {
    expect(riskyPattern(pattern)).toMatchObject({ kind, alternative });
  });

  it('names what else the pattern matches and how to write it safely', () => {
    expect(riskyPattern('api.example.*')?.message).toBe(
      '"api.example.*" also matches api.example.evil.com, a name anyone may register: a wildcard in the last label reaches other top-level domains; list the ones you mean, such as "api.example.{com,net}"',
    );
    expect(riskyPattern('10.0.0.*')?.message).toBe(
      '"10.0.0.*" also matches 10.0.0.evil.com, a name anyone may register: a wildcard after an IP address prefix reaches names too; list the addresses, such as "10.0.0.{1,2,3}", or write one rule per address',
    );
    expect(riskyPattern('*example.com')?.message).toBe(
      '"*example.com" also matches evilexample.com, a name anyone may register: the "*" runs into the domain name without a dot; write "*.example.com" to stay under your own domain',
    );
    expect(riskyPattern('www.*-example.com')?.message).toContain('write "www.*.example.com"');
    expect(riskyPattern('example.*.com')?.message).toBe(
      '"example.*.com" also matches example.evil.com, a name anyone may register: only "com" follows the wildcard; name your own domain after it, such as "*.example.com"',
    );
    expect(riskyPattern('*')?.message).toBe(
      '"*" also matches evil.com, a name anyone may register: it matches every host; list the hosts that need the certificate, such as "*.example.com"',
    );
  });

  it('names the brace alternative at fault', () => {
    expect(riskyPattern('{api.example.com,api.example.*}')?.message).toMatch(
      /^"\{api\.example\.com,api\.example\.\*\}" \(its alternative "api\.example\.\*"\) also matches api\.example\.evil\.com/,
    );
  });
});
