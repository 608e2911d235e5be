import fc from 'fast-check';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pacScript } from '../../src/admin/pac-script.js';
import { canonicalHost, tryCanonicalHost } from '../../src/match/host.js';
import { expandPattern, validatePattern } from '../../src/match/pattern.js';
import { HostMatcher, type MatchableRule } from '../../src/match/matcher.js';
import { adminGet } from '../helpers/admin.js';
import { pacResolver } from '../helpers/pac.js';
import type { TestProxy } from '../helpers/test-proxy.js';
import { startTestProxy } from '../helpers/test-proxy.js';
import { makeProxyPki, ruleYaml } from '../proxy/fixtures.js';

type Ports = readonly number[] | '*';

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

/** What the proxy itself decides for the URL a browser would hand the PAC file. */
function matcherVerdict(matcher: HostMatcher<MatchableRule>, url: string): boolean {
  const { hostname, port, protocol } = new URL(url);
  return matcher.match(canonicalHost(hostname), port === '' ? DEFAULT_PORTS[protocol]! : Number(port)) !== null;
}

function pacVerdict(answer: string, proxy: string): boolean {
  if (answer === `PROXY ${proxy}`) return true;
  expect(answer).toBe('DIRECT');
  return false;
}

describe('the PAC file agrees with the matcher', () => {
  // A small alphabet, so patterns and hosts run into each other often.
  const label = fc.constantFrom('a', 'b', 'ab', 'a-b', 'x_y', 'bücher');
  const host = fc
    .tuple(fc.array(label, { minLength: 0, maxLength: 3 }), fc.constantFrom('com', 'org'), fc.boolean(), fc.boolean())
    .map(([labels, top, upper, dot]) => {
      const name = [...labels, top].join('.');
      return (upper ? name.toUpperCase() : name) + (dot ? '.' : '');
    });
  const ipHost = fc.constantFrom('127.0.0.1', '10.0.0.5', '10.0.0.50', '[::1]', '[2001:db8::1]', '0x7f.1');
  const patternLabel = fc.oneof(label, fc.constantFrom('*', '?', 'a*', '*b', '?b', 'a?', '{a,b}', '{ab,b*}', '{a,*-b}'));
  const pattern = fc.oneof(
    fc
      .tuple(fc.array(patternLabel, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'org', '*', 'c?m'))
      .map(([labels, top]) => [...labels, top].join('.')),
    fc.constantFrom('127.0.0.1', '10.0.0.*', '::1', '[2001:db8::1]', '*', 'A.COM.'),
  );
  const ports = fc.constantFrom<Ports>('*', [443], [8443], [80, 443], [443, 8443]);
  const rules = fc.array(fc.tuple(pattern, ports), { maxLength: 6 });

  const url = fc
    .tuple(fc.constantFrom('http', 'https', 'ws', 'wss'), fc.oneof(host, ipHost), fc.constantFrom('', ':443', ':80', ':8443', ':9443'))
    .map(([scheme, name, port]) => `${scheme}://${name}${port}/path?q=1`);

  /** Hosts near a pattern: each `*` and `?` replaced by a few characters, none, or too many; so as often hits as misses. */
  const nearHost = (patterns: string[]): fc.Arbitrary<string> =>
    fc
      .tuple(fc.constantFrom(...patterns.flatMap((p) => expandPattern(validatePattern(p)))), fc.array(fc.constantFrom('', 'a', 'b', 'ab', '.', 'a.b'), { minLength: 8, maxLength: 8 }))
      .map(([glob, fills]) => {
        let i = 0;
        return glob.replace(/[*?]/g, () => fills[i++ % fills.length]!);
      })
      .filter((name) => tryCanonicalHost(name).ok);
  const urlsFor = (specs: Array<[string, Ports]>): fc.Arbitrary<string[]> =>
    fc.array(
      specs.length === 0
        ? url
        : fc.oneof(
            url,
            fc
              .tuple(fc.constantFrom('http', 'https'), nearHost(specs.map(([p]) => p)), fc.constantFrom('', ':443', ':8443'))
              .map(([scheme, name, port]) => `${scheme}://${name.includes(':') ? `[${name}]` : name}${port}/`),
          ),
      { minLength: 1, maxLength: 12 },
    );

  it('for every rule set and URL: PROXY exactly when HostMatcher.match finds a rule', async () => {
    await fc.assert(
      fc.asyncProperty(rules.chain((specs) => fc.tuple(fc.constant(specs), urlsFor(specs))), async ([specs, urls]) => {
        const matcher = new HostMatcher(specs.map(([pattern, rulePorts], index) => ({ index, host: pattern, ports: rulePorts })));
        const find = await pacResolver(pacScript(matcher.compiled(), '127.0.0.1:3128'));
        for (const u of urls) expect([u, pacVerdict(await find(u), '127.0.0.1:3128')]).toEqual([u, matcherVerdict(matcher, u)]);
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ['https://api.example.com/', true],
    ['https://API.Example.COM./x', true],
    ['https://api.example.com:443/', true],
    ['https://api.example.com:8443/', false],
    ['http://api.example.com/', false],
    ['https://example.com/', false],
    ['https://deep.a.example.com/', true],
    ['https://xa.example.com/', false],
    ['https://b1.example.org/', true],
    ['https://b12.example.org/', false],
    ['https://anything.internal:9443/', true],
    ['https://anything.internal/', false],
    ['https://xn--bcher-kva.example.net/', true],
    ['https://bücher.example.net/', true],
    ['http://[::1]:1234/', true],
    ['https://10.0.0.1/', false],
  ])('%s -> %s', async (u, proxied) => {
    const matcher = new HostMatcher<MatchableRule>([
      { index: 0, host: '*.{a,b}.example.com', ports: [443] },
      { index: 1, host: 'api.example.com', ports: [443] },
      { index: 2, host: 'b?.example.org', ports: '*' },
      { index: 3, host: '*.internal', ports: [9443] },
      { index: 4, host: 'bücher.example.net', ports: [443] },
      { index: 5, host: '::1', ports: '*' },
    ]);
    const find = await pacResolver(pacScript(matcher.compiled(), 'proxy:1'));
    expect(matcherVerdict(matcher, u)).toBe(proxied);
    expect(pacVerdict(await find(u), 'proxy:1')).toBe(proxied);
  });
});

describe('GET /proxy.pac through the proxy', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    const pki = makeProxyPki();
    proxy = await startTestProxy(`listen:\n  host: 127.0.0.1\n  port: 0\n  auth: { username: me, password: secret }\nca:\n  dir: ./ca\nclientCertificates:
${ruleYaml(pki, 'api.example.com', 'alice')}${ruleYaml(pki, '*.{a,b}.example.org', 'bob', '    port: [443, 8443]\n')}`);
  });
  afterAll(() => proxy?.close());

  it('is served without credentials, as a PAC file naming the address the client used', async () => {
    const res = await fetch(`http://127.0.0.1:${proxy.port}/proxy.pac`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ns-proxy-autoconfig');
    const find = await pacResolver(await res.text());
    const proxied = `PROXY 127.0.0.1:${proxy.port}`;
    expect(await find('https://api.example.com/')).toBe(proxied);
    expect(await find('https://x.a.example.org:8443/')).toBe(proxied);
    expect(await find('https://a.example.org/')).toBe('DIRECT');
    expect(await find('https://api.example.com:8443/')).toBe('DIRECT');
    expect(await find('https://www.example.net/')).toBe('DIRECT');
  });

  it("names the Host header's authority when there is one (a port mapping, a name), else the connection's local address", async () => {
    const named = await adminGet(proxy.port, '/proxy.pac', ['Host: Proxy.Internal:3128']);
    expect(named.status).toBe(200);
    expect(await (await pacResolver(named.body))('https://api.example.com/')).toBe('PROXY proxy.internal:3128');
    const defaultPort = await adminGet(proxy.port, '/proxy.pac', ['Host: proxy.internal']);
    expect(await (await pacResolver(defaultPort.body))('https://api.example.com/')).toBe('PROXY proxy.internal:80');
    for (const lines of [[], ['Host: bad host"name']]) {
      const fallback = await adminGet(proxy.port, '/proxy.pac', lines);
      expect(fallback.status).toBe(200);
      expect(await (await pacResolver(fallback.body))('https://api.example.com/')).toBe(`PROXY 127.0.0.1:${proxy.port}`);
    }
  });

  it('is never answered for a proxied request to another host', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: proxy.port, path: 'http://127.0.0.1:9/proxy.pac', headers: { host: '127.0.0.1:9' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(407);
  });
});
