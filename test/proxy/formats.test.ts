import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptKey, makeCa, makeClientCert, makePkcs12, writeFiles, type TestCert } from '../helpers/pki.js';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startUpstream, type SeenRequest, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, type ProxyPki } from './fixtures.js';

/**
 * Every way a client certificate can be written in the config, each lent
 * through the proxy to an upstream that trusts only the client root.
 */

const PASSPHRASE = 'tr0ub4dor & 3';

let pki: ProxyPki;
let intermediate: TestCert;
let identities: Record<string, TestCert>;
let upstream: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeProxyPki();
  const root = makeCa('Formats Client Root');
  intermediate = makeCa('Formats Client Intermediate', { issuer: root });
  identities = {
    pem: makeClientCert(root, 'pem'),
    chain: makeClientCert(intermediate, 'chain'),
    nochain: makeClientCert(intermediate, 'nochain'),
    encrypted: makeClientCert(intermediate, 'encrypted'),
    passfile: makeClientCert(root, 'passfile'),
    env: makeClientCert(root, 'env'),
    p12: makeClientCert(intermediate, 'p12'),
  };
  const id = (name: string): TestCert => identities[name]!;
  const files = writeFiles(pki.dir, {
    'pem.crt': id('pem').certPem,
    'pem.key': id('pem').keyPem,
    'chain.crt': id('chain').certPem + intermediate.certPem,
    'chain.key': id('chain').keyPem,
    'nochain.crt': id('nochain').certPem,
    'nochain.key': id('nochain').keyPem,
    'encrypted.crt': id('encrypted').certPem + intermediate.certPem,
    'encrypted.key': encryptKey(id('encrypted').keyPem, PASSPHRASE),
    'passfile.crt': id('passfile').certPem,
    'passfile.key': encryptKey(id('passfile').keyPem, PASSPHRASE),
    'passphrase.txt': `${PASSPHRASE}\n`,
    'env.crt': id('env').certPem,
    'env.key': encryptKey(id('env').keyPem, PASSPHRASE),
    'p12.p12': makePkcs12(id('p12'), [intermediate], PASSPHRASE),
  });
  upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: root.certPem });
  const hosts = Object.keys(identities);
  proxy = await startTestProxy(
    `upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
${hosts.map((h) => `    "${h}.example.com:443": "127.0.0.1:${upstream.port}"`).join('\n')}
clientCertificates:
  - host: pem.example.com
    cert: ${files['pem.crt']}
    key: ${files['pem.key']}
  - host: chain.example.com
    cert: ${files['chain.crt']}
    key: ${files['chain.key']}
  - host: nochain.example.com
    cert: ${files['nochain.crt']}
    key: ${files['nochain.key']}
  - host: encrypted.example.com
    cert: ${files['encrypted.crt']}
    key: ${files['encrypted.key']}
    passphrase: "${PASSPHRASE}"
  - host: passfile.example.com
    cert: ${files['passfile.crt']}
    key: ${files['passfile.key']}
    passphraseFile: ${files['passphrase.txt']}
  - host: env.example.com
    cert: ${files['env.crt']}
    key: ${files['env.key']}
    passphrase: \${FORMATS_TEST_PASSPHRASE}
  - host: p12.example.com
    pfx: ${files['p12.p12']}
    passphrase: "${PASSPHRASE}"
`,
    { env: { FORMATS_TEST_PASSPHRASE: PASSPHRASE } },
  );
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

function viaProxy(host: string) {
  return httpsViaProxy({ proxyPort: proxy.port, authority: `${host}:443`, ca: proxy.proxy.context.ca.certPem });
}

describe('client certificate formats through the proxy', () => {
  it.each([
    ['a PEM certificate and key', 'pem'],
    ['a PEM certificate followed by its intermediate', 'chain'],
    ['an encrypted PKCS#8 key with passphrase', 'encrypted'],
    ['an encrypted key with passphraseFile', 'passfile'],
    ['an encrypted key with a ${ENV} passphrase', 'env'],
    ['a PKCS#12 file with its intermediate', 'p12'],
  ])('lends %s', async (_what, name) => {
    const host = `${name}.example.com`;
    const res = await viaProxy(host);
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as SeenRequest;
    expect(seen.clientCert).toBe(identities[name]!.fingerprint256);
    expect(seen.clientSubjectCN).toBe(name);
    const tls = await proxy.waitForLog('upstream tls', (l) => l.host === host);
    expect((tls.clientCert as { fingerprint256: string }).fingerprint256).toBe(identities[name]!.fingerprint256);
  });

  it('is refused without the intermediate, so the chain above was really sent', async () => {
    const res = await viaProxy('nochain.example.com');
    expect(res.status).toBe(502);
    // Node's TLS server closes the connection on a client certificate it cannot verify
    // where other servers send an alert: either is the upstream refusing it.
    expect(res.headers['proxy-status']).toMatch(/^mtls-proxy; error=(tls_alert_received|connection_terminated); /);
    expect(upstream.seen.some((s) => s.clientSubjectCN === 'nochain')).toBe(false);
  });

  it('never writes a passphrase to the log', () => {
    expect(JSON.stringify(proxy.lines)).not.toContain(PASSPHRASE);
  });
});
