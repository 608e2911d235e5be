import { checkServerIdentity } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeSelfSigned, makeServerCert, writeFiles, type TestCert } from '../helpers/pki.js';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startUpstream, type SeenRequest, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

/** How the proxy decides to trust an upstream, and what the client sees when it does not. */

let pki: ProxyPki;
let upstream: TestUpstream;
let expired: TestUpstream;
let cnOnly: TestUpstream;
let selfSigned: TestUpstream;
let selfSignedCert: TestCert;
let files: Record<string, string>;
const proxies: TestProxy[] = [];

function upstreamWith(cert: TestCert): Promise<TestUpstream> {
  return startUpstream({ certPem: cert.certPem, keyPem: cert.keyPem, clientCa: pki.clientCa.certPem });
}

function resolveTo(entries: Record<string, TestUpstream>): string {
  const lines = Object.entries(entries).map(([host, u]) => `    "${host}:443": "127.0.0.1:${u.port}"`);
  return `  resolve:\n${lines.join('\n')}\n`;
}

async function proxyFor(yaml: string): Promise<TestProxy> {
  const proxy = await startTestProxy(yaml);
  proxies.push(proxy);
  return proxy;
}

function via(proxy: TestProxy, host: string) {
  return httpsViaProxy({ proxyPort: proxy.port, authority: `${host}:443`, ca: proxy.proxy.context.ca.certPem });
}

beforeAll(async () => {
  pki = makeProxyPki();
  selfSignedCert = makeSelfSigned('selfsigned.example.com');
  [upstream, expired, cnOnly, selfSigned] = await Promise.all([
    upstreamWith(pki.server),
    upstreamWith(makeServerCert(pki.serverCa, { dnsNames: ['expired.example.com'], expired: true })),
    upstreamWith(makeServerCert(pki.serverCa, { commonName: 'cn.example.com', noSan: true })),
    upstreamWith(selfSignedCert),
  ]);
  files = writeFiles(pki.dir, {
    // The CA that signed the upstream comes last, after two unrelated ones.
    'bundle.pem': makeCa('Unrelated One').certPem + makeCa('Unrelated Two').certPem + pki.serverCa.certPem,
    'unrelated.pem': makeCa('Unrelated Three').certPem,
  });
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all([upstream, expired, cnOnly, selfSigned].map((u) => u?.close()));
});

describe('with upstream.ca a bundle where the right CA is not first', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await proxyFor(`upstream:
  ca: ${files['bundle.pem']}
${resolveTo({
  'api.example.com': upstream,
  'wrong.example.net': upstream,
  'expired.example.com': expired,
  'cn.example.com': cnOnly,
  'selfsigned.example.com': selfSigned,
})}clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}
${ruleYaml(pki, 'wrong.example.net', 'alice')}
${ruleYaml(pki, 'selfsigned.example.com', 'bob', '    verify: false\n')}`);
  });

  it('trusts the private CA', async () => {
    const res = await via(proxy, 'api.example.com');
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as SeenRequest).clientCert).toBe(pki.alice.fingerprint256);
    const tls = await proxy.waitForLog('upstream tls', (l) => l.host === 'api.example.com');
    expect(tls.authorized).toBe(true);
    expect(tls).not.toHaveProperty('authorizationError');
  });

  it('answers 502 CERT_HAS_EXPIRED for an expired server certificate', async () => {
    const res = await via(proxy, 'expired.example.com');
    expect(res.status).toBe(502);
    expect(res.headers['proxy-status']).toBe('mtls-proxy; error=tls_certificate_error; details="CERT_HAS_EXPIRED"');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('expired.example.com:443');
    expect(expired.seen).toHaveLength(0);
    const logged = await proxy.waitForLog('upstream error', (l) => l.host === 'expired.example.com');
    expect(logged).toMatchObject({ port: 443, code: 'CERT_HAS_EXPIRED' });
  });

  it('answers 502 tls_certificate_error when the certificate names another host', async () => {
    const res = await via(proxy, 'wrong.example.net');
    expect(res.status).toBe(502);
    expect(res.headers['proxy-status']).toMatch(/^mtls-proxy; error=tls_certificate_error; details="ERR_TLS_CERT_ALTNAME_INVALID"$/);
    expect(res.body).toContain('wrong.example.net:443');
  });

  it('refuses a server certificate that names its host only in the common name', async () => {
    // Node alone would accept it...
    expect(checkServerIdentity('cn.example.com', { subject: { CN: 'cn.example.com' } } as never)).toBeUndefined();
    // ...the proxy does not.
    const res = await via(proxy, 'cn.example.com');
    expect(res.status).toBe(502);
    expect(res.headers['proxy-status']).toBe('mtls-proxy; error=tls_certificate_error; details="ERR_UPSTREAM_CERT_NO_SAN"');
    expect(cnOnly.seen).toHaveLength(0);
  });

  it('accepts a self-signed server with verify: false on the rule, and logs that it is not authorized', async () => {
    const res = await via(proxy, 'selfsigned.example.com');
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as SeenRequest).clientCert).toBe(pki.bob.fingerprint256);
    const tls = await proxy.waitForLog('upstream tls', (l) => l.host === 'selfsigned.example.com');
    expect(tls).toMatchObject({ rule: 'selfsigned.example.com', authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect((tls.serverCert as { fingerprint256: string }).fingerprint256).toBe(selfSignedCert.fingerprint256);
    await proxy.waitForLog('upstream certificate verification is off for this rule', (l) => l.rule === 'selfsigned.example.com');
  });
});

describe("a rule's own ca, with systemCA: false", () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await proxyFor(`upstream:
  systemCA: false
  ca: ${files['unrelated.pem']}
${resolveTo({ 'ruleca.example.com': upstream, 'noca.example.com': upstream })}clientCertificates:
${ruleYaml(pki, 'ruleca.example.com', 'alice', `    ca: ${pki.files['server-ca.pem']}\n`)}
${ruleYaml(pki, 'noca.example.com', 'bob')}`);
  });

  it("trusts the rule's CA for that rule's hosts", async () => {
    const res = await via(proxy, 'ruleca.example.com');
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as SeenRequest).clientCert).toBe(pki.alice.fingerprint256);
  });

  it("does not trust it for another rule's hosts", async () => {
    const res = await via(proxy, 'noca.example.com');
    expect(res.status).toBe(502);
    expect(res.headers['proxy-status']).toMatch(/^mtls-proxy; error=tls_certificate_error; details="UNABLE_TO_(GET_ISSUER_CERT_LOCALLY|VERIFY_LEAF_SIGNATURE)"$/);
  });
});

describe('intercept: all, for a host with no rule', () => {
  it('answers 502 tls_alert_received when the upstream requires a certificate', async () => {
    const proxy = await proxyFor(`intercept: all
upstream:
  ca: ${pki.files['server-ca.pem']}
${resolveTo({ 'needs-cert.example.com': upstream })}`);
    const res = await via(proxy, 'needs-cert.example.com');
    expect(res.status).toBe(502);
    expect(res.headers['proxy-status']).toBe('mtls-proxy; error=tls_alert_received; details="certificate_required"');
    expect(res.body).toContain('no client certificate was sent');
    const tls = await proxy.waitForLog('upstream tls', (l) => l.host === 'needs-cert.example.com');
    expect(tls).toMatchObject({ rule: null, clientCert: null });
  });
});

describe('NODE_EXTRA_CA_CERTS, which Node trusts by default', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    // Node reads it only at start, so it cannot widen this process's own default roots:
    // a pass below comes from the proxy adding it to the roots it lists with upstream.ca.
    process.env.NODE_EXTRA_CA_CERTS = pki.files['server-ca.pem'];
    try {
      proxy = await proxyFor(`upstream:
  ca: ${files['unrelated.pem']}
${resolveTo({ 'api.example.com': upstream })}clientCertificates:
${ruleYaml(pki, 'api.example.com', 'alice')}`);
    } finally {
      delete process.env.NODE_EXTRA_CA_CERTS;
    }
  });

  it('stays trusted when upstream.ca adds a CA (systemCA: true)', async () => {
    expect((await via(proxy, 'api.example.com')).status).toBe(200);
  });
});
