import { execFileSync } from 'node:child_process';
import crypto, { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { IdentityError } from '../../src/certs/errors.js';
import { loadClientIdentity, type ClientIdentity, type IdentitySource } from '../../src/certs/identity.js';
import { CertificateError } from '../../src/errors.js';
import {
  encryptKey,
  makeCa,
  makeClientCert,
  makePkcs12,
  makeSelfSigned,
  makeServerCert,
  writeFiles,
  type TestCert,
} from '../helpers/pki.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-identity-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const PASSPHRASE = 'correct horse battery staple';
const root = makeCa('Identity Root');
const intermediate = makeCa('Identity Intermediate', { issuer: root });
const client = makeClientCert(intermediate, 'client', { organization: 'Acme' });
const other = makeClientCert(intermediate, 'other');

const files = writeFiles(dir, {
  'client.crt': client.certPem,
  'client.key': client.keyPem,
  'chain.crt': client.certPem + intermediate.certPem,
  'wrong-order.crt': intermediate.certPem + client.certPem,
  'client-pkcs8.key': encryptKey(client.keyPem, PASSPHRASE),
  'client-rsa.key': encryptKey(client.keyPem, PASSPHRASE, { format: 'pkcs1' }),
  'other.key': other.keyPem,
  'client.p12': makePkcs12(client, [], PASSPHRASE),
  // Root before intermediate on purpose: the identity must come out leaf, intermediate, root.
  'chain.p12': makePkcs12(client, [root, intermediate], PASSPHRASE),
  'legacy.p12': makePkcs12(client, [intermediate], PASSPHRASE, { legacyRc2: true }),
  'corrupt.p12': makePkcs12(client, [], PASSPHRASE).subarray(0, 600),
  'client.der': client.cert.raw,
  'notes.txt': 'this is not a certificate\n',
  'My Certs/old client.p12': makePkcs12(client, [], PASSPHRASE, { legacyRc2: true }),
});
const file = (name: string): string => files[name]!;

async function loadError(source: IdentitySource): Promise<IdentityError> {
  const err: unknown = await loadClientIdentity(source).then(
    () => { throw new Error('expected loadClientIdentity to fail'); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IdentityError);
  expect(err).toBeInstanceOf(CertificateError);
  return err as IdentityError;
}

function pemCertificates(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b));
}

function expectIdentityOf(identity: ClientIdentity, cert: TestCert, chain: TestCert[]): void {
  expect(pemCertificates(identity.certChainPem).map((c) => c.fingerprint256)).toEqual([cert, ...chain].map((c) => c.fingerprint256));
  expect(identity.leaf.fingerprint256).toBe(cert.fingerprint256);
  expect(identity.summary.fingerprint256).toBe(cert.fingerprint256);
  expect(identity.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  expect(identity.leaf.checkPrivateKey(createPrivateKey(identity.keyPem))).toBe(true);
  expect(identity.warnings).toEqual([]);
}

/** An mTLS handshake against a server that trusts only the root: proves the chain and key are usable as they are. */
async function serverAccepts(identity: ClientIdentity): Promise<string> {
  const serverCert = makeServerCert(root, { dnsNames: ['localhost'] });
  const server = tls.createServer({ cert: serverCert.certPem, key: serverCert.keyPem, ca: [root.certPem], requestCert: true, rejectUnauthorized: true }, (socket) => {
    socket.end(String(socket.getPeerCertificate().subject?.CN));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const socket = tls.connect({
      host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost',
      ca: [root.certPem], cert: identity.certChainPem, key: identity.keyPem,
    });
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => { received += chunk; });
    await new Promise((resolve, reject) => socket.once('end', resolve).once('error', reject));
    return received;
  } finally {
    server.close();
  }
}

describe('loadClientIdentity: formats', () => {
  it('loads a PEM certificate and a plain key', async () => {
    const identity = await loadClientIdentity({ cert: file('client.crt'), key: file('client.key') });
    expectIdentityOf(identity, client, []);
    expect(identity.summary.subject).toBe('CN=client,O=Acme');
    expect(identity.summary.issuer).toBe('CN=Identity Intermediate');
  });

  it('loads a PEM certificate followed by its chain, usable for mTLS', async () => {
    const identity = await loadClientIdentity({ cert: file('chain.crt'), key: file('client.key') });
    expectIdentityOf(identity, client, [intermediate]);
    expect(await serverAccepts(identity)).toBe('client');
  });

  it('decrypts an encrypted PKCS#8 key', async () => {
    const identity = await loadClientIdentity({ cert: file('client.crt'), key: file('client-pkcs8.key'), passphrase: PASSPHRASE });
    expectIdentityOf(identity, client, []);
    expect(identity.keyPem).toBe(createPrivateKey(client.keyPem).export({ type: 'pkcs8', format: 'pem' }));
  });

  it('decrypts a traditional encrypted RSA key', async () => {
    expect(fs.readFileSync(file('client-rsa.key'), 'utf8')).toContain('Proc-Type: 4,ENCRYPTED');
    const identity = await loadClientIdentity({ cert: file('client.crt'), key: file('client-rsa.key'), passphrase: PASSPHRASE });
    expectIdentityOf(identity, client, []);
  });

  it('opens a PKCS#12 file made by OpenSSL 3 (AES-256, PBKDF2, SHA-256 MAC), certificate bytes intact', async () => {
    const identity = await loadClientIdentity({ pfx: file('client.p12'), passphrase: PASSPHRASE });
    expectIdentityOf(identity, client, []);
    expect(identity.leaf.raw.equals(client.cert.raw)).toBe(true);
  });

  it('opens a PKCS#12 file with a chain and orders it leaf first, usable for mTLS', async () => {
    const identity = await loadClientIdentity({ pfx: file('chain.p12'), passphrase: PASSPHRASE });
    expectIdentityOf(identity, client, [intermediate, root]);
    expect(await serverAccepts(identity)).toBe('client');
  });

  it('keeps the exact bytes of an RSA certificate whose signature algorithm has no NULL parameters', async () => {
    // Re-sign the client certificate with sha256WithRSAEncryption written without its NULL,
    // as some older CAs do; node-forge would re-encode it with one and change the fingerprint.
    const { asn1 } = forge;
    const certAsn1 = asn1.fromDer(client.cert.raw.toString('binary'));
    const tbs = (certAsn1.value as forge.asn1.Asn1[])[0]!;
    const algorithm = (tbs.value as forge.asn1.Asn1[])[2]!;
    algorithm.value = [(algorithm.value as forge.asn1.Asn1[])[0]!];
    const signature = crypto.sign('sha256', Buffer.from(asn1.toDer(tbs).getBytes(), 'binary'), intermediate.keyPem);
    const der = Buffer.from(asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      tbs, algorithm, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${signature.toString('binary')}`),
    ])).getBytes(), 'binary');
    const noNull = new X509Certificate(der);
    expect(noNull.verify(intermediate.cert.publicKey)).toBe(true);
    expect(noNull.fingerprint256).not.toBe(client.fingerprint256);

    const testCert: TestCert = { certPem: noNull.toString(), keyPem: client.keyPem, cert: noNull, fingerprint256: noNull.fingerprint256 };
    const { 'no-null.p12': p12 } = writeFiles(dir, { 'no-null.p12': makePkcs12(testCert, [intermediate], PASSPHRASE) });
    const identity = await loadClientIdentity({ pfx: p12!, passphrase: PASSPHRASE });
    expect(identity.leaf.raw.equals(der)).toBe(true);
    expect(identity.summary.fingerprint256).toBe(noNull.fingerprint256);
  });

  it('keeps an ECDSA key and certificate from a PKCS#12 file, which node-forge cannot parse itself', async () => {
    const ecDir = fs.mkdtempSync(path.join(dir, 'ec-'));
    const p12 = path.join(ecDir, 'ec.p12');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=ec-client',
      '-days', '30', '-keyout', path.join(ecDir, 'ec.key'), '-out', path.join(ecDir, 'ec.crt')], { stdio: 'ignore' });
    execFileSync('openssl', ['pkcs12', '-export', '-in', path.join(ecDir, 'ec.crt'), '-inkey', path.join(ecDir, 'ec.key'), '-out', p12, '-passout', 'pass:ec'], { stdio: 'ignore' });
    const identity = await loadClientIdentity({ pfx: p12, passphrase: 'ec' });
    expect(identity.leaf.raw.equals(new X509Certificate(fs.readFileSync(path.join(ecDir, 'ec.crt'))).raw)).toBe(true);
    expect(createPrivateKey(identity.keyPem).asymmetricKeyType).toBe('ec');
    expect(identity.summary.subject).toBe('CN=ec-client');
  });
});

describe('loadClientIdentity: warnings, not errors', () => {
  it('warns about an expired certificate', async () => {
    const expired = makeClientCert(root, 'expired-client', { expired: true });
    const paths = writeFiles(dir, { 'expired.crt': expired.certPem, 'expired.key': expired.keyPem });
    const identity = await loadClientIdentity({ cert: paths['expired.crt'], key: paths['expired.key'] });
    expect(identity.summary.daysLeft).toBeLessThan(0);
    expect(identity.warnings).toEqual([`the client certificate CN=expired-client expired on ${identity.summary.validTo}; servers will reject it`]);
  });

  it('warns about a certificate that is not valid yet', async () => {
    const future = makeClientCert(root, 'future-client', { notYetValid: true });
    const paths = writeFiles(dir, { 'future.crt': future.certPem, 'future.key': future.keyPem });
    const identity = await loadClientIdentity({ cert: paths['future.crt'], key: paths['future.key'] });
    expect(identity.warnings).toEqual([`the client certificate CN=future-client is not valid until ${identity.summary.validFrom}; servers will reject it until then`]);
  });

  it('warns about a self-signed certificate', async () => {
    const self = makeSelfSigned('self-client', { clientAuth: true });
    const paths = writeFiles(dir, { 'self.crt': self.certPem, 'self.key': self.keyPem });
    const identity = await loadClientIdentity({ cert: paths['self.crt'], key: paths['self.key'] });
    expect(identity.summary.selfSigned).toBe(true);
    expect(identity.warnings).toEqual(['the client certificate CN=self-client is self-signed; only servers that trust it directly will accept it']);
  });

  it('warns about a certificate not meant for client authentication', async () => {
    const server = makeServerCert(root, { dnsNames: ['server.example.test'] });
    const paths = writeFiles(dir, { 'server.crt': server.certPem, 'server.key': server.keyPem });
    const identity = await loadClientIdentity({ cert: paths['server.crt'], key: paths['server.key'] });
    expect(identity.warnings).toEqual([
      'the client certificate CN=server.example.test is not meant for client authentication (its extended key usage lacks clientAuth); servers may reject it',
    ]);
  });
});

describe('loadClientIdentity: errors', () => {
  it('names a missing certificate, key or PKCS#12 file and says why', async () => {
    const missing = path.join(dir, 'nope.crt');
    for (const [source, field] of [
      [{ cert: missing, key: file('client.key') }, 'cert'],
      [{ cert: file('client.crt'), key: missing }, 'key'],
      [{ pfx: missing, passphrase: PASSPHRASE }, 'pfx'],
    ] as const) {
      const err = await loadError(source);
      expect(err.code).toBe('ERR_CERT_FILE');
      expect(err.field).toBe(field);
      expect(err.message).toBe(`cannot read ${missing}: no such file`);
    }
  });

  it('says a file that holds no certificate is not a PEM certificate', async () => {
    for (const name of ['notes.txt', 'client.key']) {
      const err = await loadError({ cert: file(name), key: file('client.key') });
      expect([err.code, err.field, err.message]).toEqual(['ERR_CERT_NOT_CERTIFICATE', 'cert', `${file(name)} is not a PEM certificate`]);
    }
  });

  it('tells how to convert a DER certificate', async () => {
    const err = await loadError({ cert: file('client.der'), key: file('client.key') });
    expect(err.code).toBe('ERR_CERT_NOT_CERTIFICATE');
    expect(err.message).toBe(`${file('client.der')} is not a PEM certificate but a DER one; convert it with: openssl x509 -inform der -in ${file('client.der')} -out ${file('client.der')}.pem`);
  });

  it('says a file that holds no key is not a PEM private key', async () => {
    const err = await loadError({ cert: file('client.crt'), key: file('client.crt') });
    expect([err.code, err.field, err.message]).toEqual(['ERR_KEY_INVALID', 'key', `${file('client.crt')} is not a PEM private key`]);
  });

  it('asks for the passphrase of an encrypted key, PKCS#8 or traditional', async () => {
    for (const name of ['client-pkcs8.key', 'client-rsa.key']) {
      const err = await loadError({ cert: file('client.crt'), key: file(name) });
      expect([err.code, err.field, err.message]).toEqual(['ERR_KEY_PASSPHRASE', 'passphrase', `the private key in ${file(name)} is encrypted and no passphrase is set`]);
    }
  });

  it('rejects a wrong passphrase without ever printing it', async () => {
    const wrong = 'hunter2-wrong';
    for (const name of ['client-pkcs8.key', 'client-rsa.key']) {
      const err = await loadError({ cert: file('client.crt'), key: file(name), passphrase: wrong });
      expect([err.code, err.field, err.message]).toEqual(['ERR_KEY_PASSPHRASE', 'passphrase', `the passphrase does not decrypt the private key in ${file(name)}`]);
      expect(err.message).not.toContain(wrong);
    }
  });

  it('explains a key encrypted with a legacy cipher and gives the command that re-encrypts it', async () => {
    for (const args of [['pkcs8', '-topk8', '-v1', 'PBE-MD5-DES'], ['rsa', '-des', '-traditional']]) {
      const legacyKey = path.join(dir, `legacy-${args[0]}.key`);
      const run = (...more: string[]): void => {
        execFileSync('openssl', [...more, '-provider', 'legacy', '-provider', 'default'], { env: { ...process.env, PASS: PASSPHRASE }, stdio: 'ignore' });
      };
      run(...args, '-in', file('client.key'), '-out', legacyKey, '-passout', 'env:PASS');
      const err = await loadError({ cert: file('client.crt'), key: legacyKey, passphrase: PASSPHRASE });
      const converted = legacyKey.replace(/\.key$/, '-converted.key');
      expect([err.code, err.field, err.message]).toEqual([
        'ERR_KEY_LEGACY', 'key',
        `the private key in ${legacyKey} is encrypted with a legacy cipher (such as DES) that OpenSSL 3 refuses; re-encrypt it with: ` +
        `openssl pkey -provider legacy -provider default -in ${legacyKey} -aes256 -out ${converted}`,
      ]);
      // The suggested command, with the passphrases given on the command line instead of typed.
      run('pkey', '-in', legacyKey, '-aes256', '-out', converted, '-passin', 'env:PASS', '-passout', 'env:PASS');
      const identity = await loadClientIdentity({ cert: file('client.crt'), key: converted, passphrase: PASSPHRASE });
      expect(identity.leaf.fingerprint256).toBe(client.fingerprint256);
    }
  });

  it('rejects a key that belongs to another certificate, naming the certificate', async () => {
    const err = await loadError({ cert: file('client.crt'), key: file('other.key') });
    expect([err.code, err.field, err.message]).toEqual([
      'ERR_KEY_MISMATCH', 'key', `the key in ${file('other.key')} does not belong to the certificate CN=client,O=Acme in ${file('client.crt')}`,
    ]);
  });

  it('rejects a chain whose first certificate is not the one the key belongs to', async () => {
    const err = await loadError({ cert: file('wrong-order.crt'), key: file('client.key') });
    expect([err.code, err.field, err.message]).toEqual([
      'ERR_CERT_ORDER', 'cert',
      `${file('wrong-order.crt')} lists CN=Identity Intermediate before CN=client,O=Acme, the certificate the key belongs to, which must come first`,
    ]);
  });

  it('rejects a wrong or missing PKCS#12 passphrase without printing it', async () => {
    const wrong = await loadError({ pfx: file('client.p12'), passphrase: 'hunter2-wrong' });
    expect([wrong.code, wrong.field, wrong.message]).toEqual(['ERR_KEY_PASSPHRASE', 'passphrase', `the passphrase does not open ${file('client.p12')}`]);
    expect(wrong.message).not.toContain('hunter2');
    const missing = await loadError({ pfx: file('client.p12') });
    expect([missing.code, missing.field, missing.message]).toEqual(['ERR_KEY_PASSPHRASE', 'passphrase', `${file('client.p12')} is protected by a passphrase and none is set`]);
  });

  it('explains a legacy RC2-40 PKCS#12 file and gives the command that converts it', async () => {
    const err = await loadError({ pfx: file('legacy.p12'), passphrase: PASSPHRASE });
    expect([err.code, err.field]).toEqual(['ERR_PKCS12_LEGACY', 'pfx']);
    const legacy = file('legacy.p12');
    const converted = path.join(dir, 'legacy-converted.p12');
    expect(err.message).toBe(
      `${legacy} uses legacy RC2-40 encryption, which OpenSSL 3 refuses; convert it with: ` +
      `openssl pkcs12 -legacy -in ${legacy} -nodes -out tmp.pem && openssl pkcs12 -export -in tmp.pem -out ${converted} ` +
      'and then delete tmp.pem, which holds the unencrypted key',
    );
  });

  it('quotes file names with spaces in the convert command', async () => {
    const err = await loadError({ pfx: file('My Certs/old client.p12'), passphrase: PASSPHRASE });
    expect(err.message).toContain(`-in '${path.join(dir, 'My Certs/old client.p12')}' -nodes`);
    expect(err.message).toContain(`-out '${path.join(dir, 'My Certs/old client-converted.p12')}' and`);
  });

  it('the convert command really turns a legacy file into one that loads', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'convert-'));
    const env = { ...process.env, PASS: PASSPHRASE };
    const run = (...args: string[]): void => { execFileSync('openssl', args, { cwd: work, env, stdio: 'ignore' }); };
    run('pkcs12', '-legacy', '-in', file('legacy.p12'), '-nodes', '-out', 'tmp.pem', '-passin', 'env:PASS');
    run('pkcs12', '-export', '-in', 'tmp.pem', '-out', 'new.p12', '-passout', 'env:PASS');
    const identity = await loadClientIdentity({ pfx: path.join(work, 'new.p12'), passphrase: PASSPHRASE });
    expect(identity.leaf.fingerprint256).toBe(client.fingerprint256);
  });

  it('rejects a corrupt PKCS#12 file, or a PEM file given as one', async () => {
    const corrupt = await loadError({ pfx: file('corrupt.p12'), passphrase: PASSPHRASE });
    expect([corrupt.code, corrupt.field, corrupt.message]).toEqual(['ERR_PKCS12_INVALID', 'pfx', `${file('corrupt.p12')} is not a PKCS#12 file that can be opened (not enough data)`]);
    const pem = await loadError({ pfx: file('client.crt'), passphrase: PASSPHRASE });
    expect([pem.code, pem.field]).toEqual(['ERR_PKCS12_INVALID', 'pfx']);
    expect(pem.message).toMatch(new RegExp(`^${file('client.crt').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a PKCS#12 file that can be opened \\(.+\\)$`));
  });

  it('rejects a PKCS#12 file without a key, or whose certificate is not its key\'s', async () => {
    const noKey = path.join(dir, 'no-key.p12');
    execFileSync('openssl', ['pkcs12', '-export', '-nokeys', '-in', file('client.crt'), '-out', noKey, '-passout', `pass:${PASSPHRASE}`], { stdio: 'ignore' });
    const err = await loadError({ pfx: noKey, passphrase: PASSPHRASE });
    expect([err.code, err.field, err.message]).toEqual(['ERR_PKCS12_INVALID', 'pfx', `${noKey} holds no private key`]);

    // OpenSSL refuses to write such a file, so node-forge does.
    const mismatched = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(other.keyPem), [forge.pki.certificateFromPem(client.certPem)], PASSPHRASE, { algorithm: 'aes256' });
    const { 'mismatched.p12': mismatchedFile } = writeFiles(dir, { 'mismatched.p12': Buffer.from(forge.asn1.toDer(mismatched).getBytes(), 'binary') });
    const err2 = await loadError({ pfx: mismatchedFile!, passphrase: PASSPHRASE });
    expect([err2.code, err2.field, err2.message]).toEqual(['ERR_PKCS12_INVALID', 'pfx', `${mismatchedFile} holds no certificate for its private key`]);
  });

  it('wants either cert and key or pfx', async () => {
    expect((await loadError({ pfx: file('client.p12'), cert: file('client.crt'), key: file('client.key') })).field).toBe('pfx');
    expect((await loadError({})).field).toBe('cert');
    const noKey = await loadError({ cert: file('client.crt') });
    expect([noKey.code, noKey.field, noKey.message]).toEqual(['ERR_IDENTITY_SOURCE', 'key', `set the key that belongs to ${file('client.crt')}`]);
  });
});
