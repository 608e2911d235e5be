import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { CertificateStore } from '../../src/certs/store.js';
import type { Config } from '../../src/config/types.js';
import { Routes, resolveAddress } from '../../src/upstream/route.js';
import { UpstreamSecureContexts } from '../../src/upstream/secure-contexts.js';

const UPSTREAM = `upstream:
  resolve:
    api.example.com: 10.1.2.3
    "api.example.com:8443": "127.0.0.1:9443"
    v6.example.com: "::1"
    "v6port.example.com:443": "[::1]:9443"
  proxy: http://corp.example.net:3128
  noProxy: [internal.example.com, 10.0.0.0/8, "*.lan"]
`;
const config = parseConfig(
  `${UPSTREAM}clientCertificates:
  - host: "*.example.com"
    cert: a.crt
    key: a.key
  - host: "*.example.com"
    port: 8443
    verify: false
    cert: b.crt
    key: b.key
`,
  '/etc/mtls-proxy/config.yaml',
  {},
);

/** Each rule's identity stands for the files it names: the same files, the same identity. */
const storeOf = (c: Config): CertificateStore =>
  ({
    identity: (i: number) => ({ certChainPem: `chain of ${c.clientCertificates[i]!.cert}`, keyPem: `key ${c.clientCertificates[i]!.key}` }),
    upstreamCa: [],
    ruleCa: () => [],
    warnings: [],
  }) as unknown as CertificateStore;

const routesOf = (c: Config): Routes => new Routes(c, new UpstreamSecureContexts(c, storeOf(c)));

describe('resolveAddress', () => {
  it('maps a bare host on every port and keeps the port', () => {
    expect(resolveAddress(config.upstream.resolve, 'api.example.com', 443)).toEqual({ address: '10.1.2.3', port: 443 });
  });
  it('prefers the host:port entry, which may move the port', () => {
    expect(resolveAddress(config.upstream.resolve, 'api.example.com', 8443)).toEqual({ address: '127.0.0.1', port: 9443 });
  });
  it('takes IPv6 targets with and without a port', () => {
    expect(resolveAddress(config.upstream.resolve, 'v6.example.com', 443)).toEqual({ address: '::1', port: 443 });
    expect(resolveAddress(config.upstream.resolve, 'v6port.example.com', 443)).toEqual({ address: '::1', port: 9443 });
  });
  it('leaves other hosts to DNS', () => {
    expect(resolveAddress(config.upstream.resolve, 'other.example.com', 443)).toEqual({ address: 'other.example.com', port: 443 });
  });
});

describe('Routes', () => {
  const routes = routesOf(config);
  it('sends traffic through upstream.proxy except to noProxy names, their subdomains, ranges and globs', () => {
    expect(routes.tcpTarget('other.example.com', 443).via?.host).toBe('corp.example.net:3128');
    for (const host of ['internal.example.com', 'db.internal.example.com', '10.20.30.40', 'printer.lan']) {
      expect(routes.tcpTarget(host, 443).via, host).toBeNull();
    }
    expect(routes.tcpTarget('11.0.0.1', 443).via).not.toBeNull();
  });
  it('checks noProxy against the resolved address too: a name resolved into a noProxy range goes direct', () => {
    expect(routes.tcpTarget('api.example.com', 443)).toEqual({ address: '10.1.2.3', port: 443, via: null });
  });
  it('names the resolved address:port to upstream.proxy, not the name', () => {
    const target = routes.tcpTarget('api.example.com', 8443);
    expect([target.address, target.port, target.via?.host]).toEqual(['127.0.0.1', 9443, 'corp.example.net:3128']);
  });
  it('never lets two identities or trust policies share a pool key', () => {
    const [a, b] = config.clientCertificates;
    const one = routes.route('api.example.com', 8443, true, a!);
    const two = routes.route('api.example.com', 8443, true, b!);
    expect(two.verify).toBe(false);
    expect(one.key).not.toBe(two.key);
    expect(routes.route('api.example.com', 8443, true, null).key).not.toBe(one.key);
  });
  it('keys a pool by the identity, not by the rule\'s position, so reordering rules keeps it', () => {
    const reordered = parseConfig(
      `${UPSTREAM}clientCertificates:\n  - { host: other.example.org, cert: c.crt, key: c.key }\n  - { host: "*.example.com", cert: a.crt, key: a.key }\n`,
      '/etc/mtls-proxy/config.yaml',
      {},
    );
    const before = routes.route('api.example.com', 443, true, config.clientCertificates[0]!);
    const after = routesOf(reordered).route('api.example.com', 443, true, reordered.clientCertificates[1]!);
    expect(after.key).toBe(before.key);
    const renewed = parseConfig(`${UPSTREAM}clientCertificates:\n  - { host: "*.example.com", cert: a2.crt, key: a.key }\n`, '/etc/mtls-proxy/config.yaml', {});
    expect(routesOf(renewed).route('api.example.com', 443, true, renewed.clientCertificates[0]!).key).not.toBe(before.key);
  });
  it('lends no certificate over plain HTTP', () => {
    expect(routes.route('api.example.com', 80, false, config.clientCertificates[0]!).rule).toBeNull();
  });
});
