import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCa, makeClientCert, makeServerCert, writeFiles, type TestCert } from '../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startCountingUpstream, type CountingUpstream } from '../helpers/counting-upstream.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** One PKI for a proxy test file: a server CA and its server cert, a client CA and two client identities. */
export interface ProxyPki {
  dir: string;
  serverCa: TestCert;
  server: TestCert;
  clientCa: TestCert;
  alice: TestCert;
  bob: TestCert;
  files: Record<string, string>;
}

export function makeProxyPki(): ProxyPki {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-proxy-pki-'));
  const serverCa = makeCa('Test Server CA');
  const server = makeServerCert(serverCa, {
    dnsNames: ['localhost', '*.example.com', 'api.example.com', 'a.example.com', 'b.example.com', 'other.example.com', 'plain.example.net'],
    ips: ['127.0.0.1', '::1'],
  });
  const clientCa = makeCa('Test Client CA');
  const alice = makeClientCert(clientCa, 'alice');
  const bob = makeClientCert(clientCa, 'bob');
  const files = writeFiles(dir, {
    'server-ca.pem': serverCa.certPem,
    'alice.crt': alice.certPem,
    'alice.key': alice.keyPem,
    'bob.crt': bob.certPem,
    'bob.key': bob.keyPem,
  });
  return { dir, serverCa, server, clientCa, alice, bob, files };
}

/** YAML for a rule lending `who`'s certificate (files from makeProxyPki). */
export function ruleYaml(pki: ProxyPki, host: string, who: 'alice' | 'bob', extra = ''): string {
  return `  - host: "${host}"\n    cert: ${pki.files[`${who}.crt`]}\n    key: ${pki.files[`${who}.key`]}\n${extra}`;
}

/**
 * The common set-up: one upstream requiring client certificates, and a proxy lending alice's to `pattern`, which resolves to it.
 * `extraYaml` follows upstream.resolve: top-level keys unindented, more `upstream` keys indented by two spaces.
 */
export interface OneUpstream {
  pki: ProxyPki;
  upstream: TestUpstream;
  proxy: TestProxy;
  close(): Promise<void>;
}

export async function startOneUpstream(pattern: string, extraYaml = ''): Promise<OneUpstream> {
  const pki = makeProxyPki();
  const upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  const proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "api.example.com:443": "127.0.0.1:${upstream.port}"
${extraYaml}clientCertificates:
${ruleYaml(pki, pattern, 'alice')}`);
  return {
    pki,
    upstream,
    proxy,
    close: async () => {
      await proxy.close();
      await upstream.close();
    },
  };
}

/**
 * A proxy in front of two counting upstreams: plain.example.net:80 (plain HTTP)
 * and api.example.com:443 (TLS, lent alice's certificate), for tests that assert
 * nothing reaches an upstream. `extraYaml` adds top-level config.
 */
export interface CountingSetup {
  plain: CountingUpstream;
  secure: CountingUpstream;
  proxy: TestProxy;
  close(): Promise<void>;
}

export async function startCountingSetup(extraYaml = ''): Promise<CountingSetup> {
  const pki = makeProxyPki();
  const plain = await startCountingUpstream();
  const secure = await startCountingUpstream({ tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem } });
  const proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "api.example.com:443": "127.0.0.1:${secure.port}"
    "plain.example.net:80": "127.0.0.1:${plain.port}"
${extraYaml}clientCertificates:
${ruleYaml(pki, 'api.example.com', 'alice')}`);
  return {
    plain,
    secure,
    proxy,
    close: async () => {
      await proxy.close();
      await plain.close();
      await secure.close();
    },
  };
}
