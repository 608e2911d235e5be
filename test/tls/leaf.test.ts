import { spawnSync } from 'node:child_process';
import { X509Certificate, createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, type CertificateAuthority } from '../../src/tls/ca.js';
import { createLeafKey, mintClientCertificate, mintLeaf, type LeafKey } from '../../src/tls/leaf.js';

const DAY_MS = 86_400_000;
const HOSTS = ['api.example.com', '127.0.0.1', '::1'] as const;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-leaf-'));

function openssl(args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync('/usr/bin/openssl', args, { encoding: 'utf8', input });
  return { status: result.status, output: result.stdout + result.stderr };
}

/**
 * A CA from the openssl CLI whose subject has a multi-valued RDN and mixed string
 * types: a leaf only chains to it when its issuer copies those bytes exactly.
 */
async function opensslCa(name: string, newKey: string[]): Promise<CertificateAuthority> {
  const certPath = path.join(dir, `${name}.crt`);
  const keyPath = path.join(dir, `${name}.key`);
  const made = openssl([
    'req', '-x509', '-nodes', '-days', '30', '-multivalue-rdn',
    '-subj', `/C=DE/O=Example Org+OU=Proxies/CN=Example ${name}`,
    '-newkey', ...newKey, '-keyout', keyPath, '-out', certPath,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
  ]);
  expect(made.status, made.output).toBe(0);
  fs.chmodSync(keyPath, 0o600);
  return loadOrCreateCa({ dir: path.join(dir, 'unused'), cert: certPath, key: keyPath }, null);
}

/** Fields of a DER certificate's TBSCertificate, by position (version present). */
function tbsFieldDer(certificateDer: Buffer, index: number): string {
  const certificate = forge.asn1.fromDer(certificateDer.toString('binary'));
  const tbs = (certificate.value as forge.asn1.Asn1[])[0]!;
  return forge.asn1.toDer((tbs.value as forge.asn1.Asn1[])[index]!).getBytes();
}
const ISSUER = 3;
const SUBJECT = 5;

let leafFiles = 0;

/** `openssl verify` as a TLS client would: chain to the CA, serverAuth purpose, and the name. */
function verifyWithOpenssl(ca: CertificateAuthority, leafPem: string, expectedHost: string) {
  const leafPath = path.join(dir, `leaf-${++leafFiles}.pem`);
  fs.writeFileSync(leafPath, leafPem);
  const nameCheck = isIP(expectedHost) === 0 ? '-verify_hostname' : '-verify_ip';
  return openssl(['verify', '-purpose', 'sslserver', nameCheck, expectedHost, '-CAfile', ca.certPath, leafPath]);
}

let leafKey: LeafKey;
let cas: Array<[string, CertificateAuthority]>;

beforeAll(async () => {
  leafKey = createLeafKey();
  cas = [
    ['generated EC CA', await loadOrCreateCa({ dir: path.join(dir, 'ca') }, null)],
    ['EC CA brought by the user', await opensslCa('ec-ca', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'])],
    ['RSA CA brought by the user', await opensslCa('rsa-ca', ['rsa:2048'])],
  ];
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('createLeafKey', () => {
  it('makes an ECDSA P-256 key whose SPKI matches the private key', () => {
    expect(leafKey.privateKey.asymmetricKeyType).toBe('ec');
    expect(leafKey.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(createPrivateKey(leafKey.privateKeyPem).equals(leafKey.privateKey)).toBe(true);
    expect(createPublicKey(leafKey.privateKey).export({ type: 'spki', format: 'der' }).equals(leafKey.spkiDer)).toBe(true);
    expect(createLeafKey().spkiDer.equals(leafKey.spkiDer)).toBe(false);
  });
});

describe('mintLeaf', () => {
  it.each(HOSTS)('mints a leaf for %s that openssl verifies as a TLS server certificate', (host) => {
    for (const [, ca] of cas) {
      const leafPem = mintLeaf(ca, host, leafKey);
      const verified = verifyWithOpenssl(ca, leafPem, host);
      expect(verified.status, verified.output).toBe(0);
      expect(verified.output).toContain(': OK');

      const wrongName = verifyWithOpenssl(ca, leafPem, host === 'api.example.com' ? 'www.example.com' : '10.0.0.1');
      expect(wrongName.status).not.toBe(0);
    }
  });

  it.each(HOSTS)('puts %s in the SAN, with serverAuth and the leaf key', (host) => {
    for (const [, ca] of cas) {
      const leaf = new X509Certificate(mintLeaf(ca, host, leafKey));
      expect(leaf.subject).toBe(`CN=${host}`);
      if (host === 'api.example.com') {
        expect(leaf.subjectAltName).toBe(`DNS:${host}`);
        expect(leaf.checkHost(host)).toBe(host);
        expect(leaf.checkHost('other.example.com')).toBeUndefined();
      } else {
        expect(leaf.subjectAltName).toMatch(/^IP Address:[\d.:]+$/);
        expect(leaf.checkIP(host)).toBe(host);
        expect(leaf.checkIP('10.0.0.1')).toBeUndefined();
      }
      expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
      expect(leaf.ca).toBe(false);
      expect(leaf.checkPrivateKey(leafKey.privateKey)).toBe(true);
      expect(leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(leafKey.spkiDer)).toBe(true);
    }
  });

  it('is issued by the CA: same issuer bytes, key identifiers chained, signature valid', () => {
    for (const [name, ca] of cas) {
      const leaf = new X509Certificate(mintLeaf(ca, 'api.example.com', leafKey));
      expect(tbsFieldDer(leaf.raw, ISSUER), name).toBe(tbsFieldDer(ca.cert.raw, SUBJECT));
      expect(leaf.issuer).toBe(ca.cert.subject);
      expect(leaf.checkIssued(ca.cert)).toBe(true);
      expect(leaf.verify(ca.cert.publicKey)).toBe(true);

      const leafText = openssl(['x509', '-noout', '-text'], leaf.toString()).output;
      const caText = openssl(['x509', '-noout', '-text'], ca.certPem).output;
      const caKeyId = /Subject Key Identifier:\s+(\S+)/.exec(caText)?.[1];
      expect(caKeyId).toBeDefined();
      expect(/Authority Key Identifier:\s+(?:keyid:)?(\S+)/.exec(leafText)?.[1]).toBe(caKeyId);
      // RFC 5280 method 1: SHA-1 over the public key bits (the last 65 bytes of a P-256 SPKI).
      const ownKeyId = createHash('sha1').update(leafKey.spkiDer.subarray(-65)).digest('hex').toUpperCase();
      expect(/Subject Key Identifier:\s+(\S+)/.exec(leafText)?.[1]?.replaceAll(':', '')).toBe(ownKeyId);
      expect(leafText).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
      expect(leafText).toMatch(/X509v3 Basic Constraints:\s+CA:FALSE/);
      const expectedAlgorithm = ca.key.asymmetricKeyType === 'ec' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption';
      expect(leafText).toContain(`Signature Algorithm: ${expectedAlgorithm}`);
    }
  });

  it('is valid from an hour ago for at most 397 days', () => {
    const now = new Date('2030-06-01T12:00:00.000Z');
    const [[, ca]] = cas as [[string, CertificateAuthority]];
    const leaf = new X509Certificate(mintLeaf(ca, 'api.example.com', leafKey, now));
    const validFrom = Date.parse(leaf.validFrom);
    const validTo = Date.parse(leaf.validTo);
    expect(validFrom).toBe(now.getTime() - 3_600_000);
    expect(validTo - validFrom).toBeLessThanOrEqual(397 * DAY_MS);
    expect(validTo - validFrom).toBeGreaterThan(396 * DAY_MS);
  });

  it('gives every leaf its own positive 16-byte serial', () => {
    const [[, ca]] = cas as [[string, CertificateAuthority]];
    const serials = Array.from({ length: 100 }, () => new X509Certificate(mintLeaf(ca, 'api.example.com', leafKey)).serialNumber);
    expect(new Set(serials).size).toBe(serials.length);
    for (const serial of serials) expect(serial).toMatch(/^[0-7][0-9A-F]{31}$/);
  });

  it.each(['2001:db8::1', 'fe80::', '::ffff:192.0.2.1', '1:2:3:4:5:6:7:8', '2001:db8:0:0:1::2'])(
    'writes the 16 bytes of the IPv6 literal %s',
    (host) => {
      const [[, ca]] = cas as [[string, CertificateAuthority]];
      const leafPem = mintLeaf(ca, host, leafKey);
      expect(new X509Certificate(leafPem).checkIP(host)).toBe(host);
      expect(verifyWithOpenssl(ca, leafPem, host).status).toBe(0);
    },
  );

  it('writes validity dates from 2050 on as GeneralizedTime', () => {
    const [[, ca]] = cas as [[string, CertificateAuthority]];
    const now = new Date('2049-12-01T00:00:00.000Z');
    const leaf = new X509Certificate(mintLeaf(ca, 'api.example.com', leafKey, now));
    expect(Date.parse(leaf.validFrom)).toBe(now.getTime() - 3_600_000);
    expect(Date.parse(leaf.validTo)).toBe(now.getTime() - 3_600_000 + 397 * DAY_MS - 1000);
    const text = openssl(['asn1parse'], leaf.toString()).output;
    expect(text).toMatch(/UTCTIME\s+:491130230000Z/);
    expect(text).toMatch(/GENERALIZEDTIME\s+:20510101225959Z/);
  });

  it('cuts the common name of a long host to 64 characters but keeps it whole in the SAN', () => {
    const [[, ca]] = cas as [[string, CertificateAuthority]];
    const host = `${'a'.repeat(63)}.${'b'.repeat(63)}.example.com`;
    const leafPem = mintLeaf(ca, host, leafKey);
    const leaf = new X509Certificate(leafPem);
    expect(leaf.subject).toBe(`CN=${host.slice(0, 64)}`);
    expect(leaf.subjectAltName).toBe(`DNS:${host}`);
    expect(verifyWithOpenssl(ca, leafPem, host).status).toBe(0);
  });
});

describe('mintClientCertificate', () => {
  it('mints a certificate with clientAuth only, which openssl verifies as a TLS client certificate and not a server one', () => {
    for (const [name, ca] of cas) {
      const pem = mintClientCertificate(ca, 'demo-client', leafKey);
      const cert = new X509Certificate(pem);
      expect(cert.subject, name).toBe('CN=demo-client');
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
      expect(cert.ca).toBe(false);
      expect(cert.checkIssued(ca.cert)).toBe(true);

      const file = path.join(dir, `client-${++leafFiles}.pem`);
      fs.writeFileSync(file, pem);
      const asClient = openssl(['verify', '-purpose', 'sslclient', '-CAfile', ca.certPath, file]);
      expect(asClient.status, asClient.output).toBe(0);
      expect(openssl(['verify', '-purpose', 'sslserver', '-CAfile', ca.certPath, file]).status).not.toBe(0);
    }
  });
});
