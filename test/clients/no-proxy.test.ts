import { describe, expect, it } from 'vitest';
import { bypassesProxy, parseNoProxy } from '../../src/clients/no-proxy.cjs';

describe('NO_PROXY', () => {
  const entries = parseNoProxy('localhost, 127.0.0.1 ,::1,.internal.example,*.corp.example,api.example.com:8443,[fd00::1]:80');

  it.each([
    ['localhost', 80, true],
    ['LOCALHOST', 443, true],
    ['127.0.0.1', 9000, true],
    ['[::1]', 443, true],
    ['::1', 443, true],
    ['internal.example', 443, true],
    ['a.b.internal.example', 443, true],
    ['x.corp.example', 443, true],
    ['corp.example', 443, true],
    ['api.example.com', 8443, true],
    ['api.example.com', 443, false],
    ['fd00::1', 80, true],
    ['fd00::1', 443, false],
    ['notinternal.example', 443, false],
    ['api.example.com.evil.net', 8443, false],
    ['example.com', 443, false],
  ])('%s:%i goes direct: %s', (host, port, direct) => {
    expect(bypassesProxy(entries, host, port)).toBe(direct);
  });

  it('* sends everything direct; an empty or unset list nothing', () => {
    expect(bypassesProxy(parseNoProxy('*'), 'anything.example', 443)).toBe(true);
    expect(bypassesProxy(parseNoProxy(''), 'localhost', 443)).toBe(false);
    expect(bypassesProxy(parseNoProxy(undefined), 'localhost', 443)).toBe(false);
  });
});
