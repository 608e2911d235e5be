import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { caWarnings, loadOrCreateCa, type CertificateAuthority } from '../../src/tls/ca.js';

const CONFIG_FILE = '/etc/mtls-proxy/config.yaml';
const DAY_MS = 86_400_000;

const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-ca-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function openssl(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('/usr/bin/openssl', args, { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

/** A self-signed certificate and its key made by the openssl CLI, for CAs the proxy did not make. */
function opensslCertificate(dir: string, name: string, keyAlgorithm: string[], extensions: string[]) {
  const certPath = path.join(dir, `${name}.crt`);
  const keyPath = path.join(dir, `${name}.key`);
  const made = openssl([
    'req', '-x509', '-nodes', '-days', '30', '-subj', `/CN=${name}`,
    '-newkey', ...keyAlgorithm, '-keyout', keyPath, '-out', certPath,
    ...extensions.flatMap((e) => ['-addext', e]),
  ]);
  expect(made.status, made.output).toBe(0);
  fs.chmodSync(keyPath, 0o600);
  return { certPath, keyPath };
}

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

describe('generated CA', () => {
  it('is created in ca.dir with private modes and the expected fields', async () => {
    const dir = path.join(tempDir(), 'nested', 'ca');
    const ca = await loadOrCreateCa({ dir }, CONFIG_FILE);

    expect(ca.created).toBe(true);
    expect(ca.certPath).toBe(path.join(dir, 'ca.crt'));
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(path.join(dir, 'ca.key'))).toBe(0o600);
    // ca.crt is asked for as 0644; the umask may take bits away, which a probe file shows.
    const probe = path.join(dir, '..', 'probe');
    fs.writeFileSync(probe, '', { mode: 0o644 });
    expect(modeOf(path.join(dir, 'ca.crt'))).toBe(modeOf(probe));
    expect(fs.readdirSync(dir).sort()).toEqual(['ca.crt', 'ca.key']);

    const cert = new X509Certificate(fs.readFileSync(path.join(dir, 'ca.crt')));
    expect(cert.fingerprint256).toBe(ca.cert.fingerprint256);
    expect(ca.certPem).toBe(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'));
    expect(cert.ca).toBe(true);
    expect(cert.subject).toMatch(/^CN=mtls-proxy CA \(.+\\, \d{4}-\d{2}-\d{2}\)\nO=mtls-proxy$/);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(ca.key)).toBe(true);
    expect(ca.key.asymmetricKeyType).toBe('ec');
    expect(ca.key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);

    const validFrom = Date.parse(cert.validFrom);
    const validTo = Date.parse(cert.validTo);
    expect(Date.now() - validFrom).toBeGreaterThanOrEqual(3_600_000 - 60_000);
    expect(Date.now() - validFrom).toBeLessThanOrEqual(3_600_000 + 60_000);
    expect((validTo - validFrom) / DAY_MS).toBeGreaterThan(3652);
    expect((validTo - validFrom) / DAY_MS).toBeLessThan(3654);

    const text = openssl(['x509', '-in', ca.certPath, '-noout', '-text']).output;
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toMatch(/X509v3 Subject Key Identifier:\s+([0-9A-F]{2}:){19}[0-9A-F]{2}/);
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(openssl(['verify', '-CAfile', ca.certPath, ca.certPath]).status).toBe(0);
  });

  it('is reused on the next load, and differs between installs', async () => {
    const dir = tempDir();
    const first = await loadOrCreateCa({ dir }, CONFIG_FILE);
    const again = await loadOrCreateCa({ dir }, CONFIG_FILE);
    const elsewhere = await loadOrCreateCa({ dir: tempDir() }, CONFIG_FILE);

    expect(again.created).toBe(false);
    expect(again.cert.fingerprint256).toBe(first.cert.fingerprint256);
    expect(again.key.export({ type: 'pkcs8', format: 'pem' })).toBe(first.key.export({ type: 'pkcs8', format: 'pem' }));
    expect(elsewhere.cert.serialNumber).not.toBe(first.cert.serialNumber);
    expect(elsewhere.cert.fingerprint256).not.toBe(first.cert.fingerprint256);
  });

  it('refuses a generated ca.key other users can read, and says how to fix it', async () => {
    const dir = tempDir();
    await loadOrCreateCa({ dir }, CONFIG_FILE);
    const keyPath = path.join(dir, 'ca.key');
    fs.chmodSync(keyPath, 0o644);

    const err = await rejection(loadOrCreateCa({ dir }, CONFIG_FILE));
    expect(err.code).toBe('ERR_CA_KEY_UNSAFE');
    expect(err.path).toBe('ca.dir');
    expect(err.file).toBe(CONFIG_FILE);
    expect(err.reason).toContain(keyPath);
    expect(err.reason).toContain(`chmod 600 ${keyPath}`);
    expect(err.message.startsWith(`${CONFIG_FILE}: ca.dir: `)).toBe(true);

    fs.chmodSync(keyPath, 0o640);
    expect((await rejection(loadOrCreateCa({ dir }, CONFIG_FILE))).code).toBe('ERR_CA_KEY_UNSAFE');
    fs.chmodSync(keyPath, 0o600);
    const ca = await loadOrCreateCa({ dir }, CONFIG_FILE);
    expect([ca.created, caWarnings(ca)]).toEqual([false, []]);
  });

  it('loads a generated ca.key from a read-only secret mount (0444) with one warning naming it', async () => {
    const dir = tempDir();
    await loadOrCreateCa({ dir }, CONFIG_FILE);
    const keyPath = path.join(dir, 'ca.key');
    fs.chmodSync(keyPath, 0o444);

    const ca = await loadOrCreateCa({ dir }, CONFIG_FILE);
    const warnings = caWarnings(ca);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${keyPath} can be read by other users (mode 0444)`);
    expect(fs.statSync(keyPath).mode & 0o777).toBe(0o444);
  });

  it('refuses half a CA instead of replacing it', async () => {
    for (const [kept, removed] of [
      ['ca.key', 'ca.crt'],
      ['ca.crt', 'ca.key'],
    ] as const) {
      const dir = tempDir();
      await loadOrCreateCa({ dir }, CONFIG_FILE);
      fs.rmSync(path.join(dir, removed));
      const keptBefore = fs.readFileSync(path.join(dir, kept));

      const err = await rejection(loadOrCreateCa({ dir }, CONFIG_FILE));
      expect(err.path).toBe('ca.dir');
      expect(err.reason).toBe(
        `${dir} holds ${kept} but not ${removed}; restore ${removed}, or delete ${kept} to have a new CA generated.`,
      );
      expect(fs.readFileSync(path.join(dir, kept))).toEqual(keptBefore);
      expect(fs.existsSync(path.join(dir, removed))).toBe(false);
    }
  });

  it('refuses unparsable files and a key from another CA', async () => {
    const dir = tempDir();
    await loadOrCreateCa({ dir }, CONFIG_FILE);
    const certPath = path.join(dir, 'ca.crt');
    const keyPath = path.join(dir, 'ca.key');
    const goodCert = fs.readFileSync(certPath);
    const goodKey = fs.readFileSync(keyPath);

    fs.writeFileSync(certPath, 'not a certificate\n');
    let err = await rejection(loadOrCreateCa({ dir }, CONFIG_FILE));
    expect([err.path, err.reason]).toEqual(['ca.dir', `${certPath} is not a PEM or DER certificate.`]);

    fs.writeFileSync(certPath, goodCert);
    fs.writeFileSync(keyPath, 'not a key\n');
    err = await rejection(loadOrCreateCa({ dir }, CONFIG_FILE));
    expect([err.path, err.reason]).toEqual(['ca.dir', `${keyPath} is not a PEM private key.`]);

    const other = await loadOrCreateCa({ dir: tempDir() }, CONFIG_FILE);
    fs.writeFileSync(keyPath, other.key.export({ type: 'pkcs8', format: 'pem' }));
    err = await rejection(loadOrCreateCa({ dir }, CONFIG_FILE));
    expect([err.path, err.reason]).toEqual(['ca.dir', `${keyPath} is not the private key of the CA certificate ${certPath}.`]);

    fs.writeFileSync(keyPath, goodKey);
    expect((await loadOrCreateCa({ dir }, CONFIG_FILE)).created).toBe(false);
  });

  it('names ca.dir when the folder cannot be made', async () => {
    const parent = tempDir();
    fs.writeFileSync(path.join(parent, 'file'), '');
    const dir = path.join(parent, 'file', 'ca');

    const err = await rejection(loadOrCreateCa({ dir }, null));
    expect(err.path).toBe('ca.dir');
    expect(err.file).toBe(null);
    expect(err.reason).toContain(dir);
  });
});

describe('bring-your-own CA', () => {
  /** A CA made by the proxy in one folder, handed over as ca.cert + ca.key in another. */
  async function ownCa(options: { passphrase?: string } = {}) {
    const source = await loadOrCreateCa({ dir: tempDir() }, CONFIG_FILE);
    const dir = tempDir();
    const cert = path.join(dir, 'my-ca.crt');
    const key = path.join(dir, 'my-ca.key');
    fs.writeFileSync(cert, source.certPem);
    const keyPem = options.passphrase
      ? source.key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: options.passphrase })
      : source.key.export({ type: 'pkcs8', format: 'pem' });
    fs.writeFileSync(key, keyPem, { mode: 0o600 });
    return { source, dir, cert, key };
  }

  it('loads ca.cert + ca.key without touching ca.dir', async () => {
    const { source, dir, cert, key } = await ownCa();
    const generatedDir = path.join(dir, 'unused');

    const ca = await loadOrCreateCa({ dir: generatedDir, cert, key }, CONFIG_FILE);
    expect(ca.created).toBe(false);
    expect(ca.certPath).toBe(cert);
    expect(ca.cert.fingerprint256).toBe(source.cert.fingerprint256);
    expect(ca.certPem).toBe(source.certPem);
    expect(fs.existsSync(generatedDir)).toBe(false);
  });

  it('decrypts an encrypted key with ca.passphrase, and never repeats the passphrase', async () => {
    const passphrase = 'correct horse battery staple';
    const { source, cert, key } = await ownCa({ passphrase });
    expect(fs.readFileSync(key, 'utf8')).toContain('ENCRYPTED PRIVATE KEY');

    const ca = await loadOrCreateCa({ dir: tempDir(), cert, key, passphrase }, CONFIG_FILE);
    expect(ca.cert.checkPrivateKey(ca.key)).toBe(true);
    expect(ca.cert.fingerprint256).toBe(source.cert.fingerprint256);

    const wrong = await rejection(loadOrCreateCa({ dir: tempDir(), cert, key, passphrase: 'wrong guess' }, CONFIG_FILE));
    expect([wrong.path, wrong.reason]).toEqual(['ca.passphrase', `ca.passphrase does not decrypt ${key}.`]);
    expect(wrong.message).not.toContain('wrong guess');

    const missing = await rejection(loadOrCreateCa({ dir: tempDir(), cert, key }, CONFIG_FILE));
    expect([missing.path, missing.reason]).toEqual([
      'ca.passphrase',
      `${key} is encrypted; set ca.passphrase to its passphrase.`,
    ]);
  });

  it('decrypts a legacy encrypted SEC1 key too', async () => {
    const { cert, key, source } = await ownCa();
    fs.writeFileSync(key, source.key.export({ type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }));
    expect(fs.readFileSync(key, 'utf8')).toContain('Proc-Type: 4,ENCRYPTED');

    const ca = await loadOrCreateCa({ dir: tempDir(), cert, key, passphrase: 'pw' }, CONFIG_FILE);
    expect(ca.cert.fingerprint256).toBe(source.cert.fingerprint256);
    expect((await rejection(loadOrCreateCa({ dir: tempDir(), cert, key, passphrase: 'no' }, CONFIG_FILE))).path).toBe(
      'ca.passphrase',
    );
  });

  it('loads a brought ca.key other users can read (a secret mount) with one warning naming it', async () => {
    const { cert, key, source } = await ownCa();
    for (const mode of [0o604, 0o644]) {
      fs.chmodSync(key, mode);
      const ca = await loadOrCreateCa({ dir: tempDir(), cert, key }, CONFIG_FILE);
      expect(ca.cert.fingerprint256).toBe(source.cert.fingerprint256);
      const warnings = caWarnings(ca);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${key} can be read by other users (mode 0${mode.toString(8)})`);
      expect(warnings[0]).toContain(`chmod 600 ${key}`);
    }
    fs.chmodSync(key, 0o600);
    expect(caWarnings(await loadOrCreateCa({ dir: tempDir(), cert, key }, CONFIG_FILE))).toEqual([]);
  });

  it('names the config key at fault', async () => {
    const { dir, cert, key } = await ownCa();
    const other = await ownCa();
    const missingFile = path.join(dir, 'missing.crt');

    const cases: Array<[Parameters<typeof loadOrCreateCa>[0], string, string]> = [
      [{ dir, cert: missingFile, key }, 'ca.cert', `${missingFile} cannot be read: it does not exist.`],
      [{ dir, cert, key: other.key }, 'ca.key', `${other.key} is not the private key of the CA certificate ${cert}.`],
      [{ dir, cert, key: dir }, 'ca.key', `${dir} cannot be read: it is a folder, not a file.`],
      [{ dir, cert }, 'ca.key', 'ca.cert and ca.key must be set together (or neither, to use the generated CA in ca.dir).'],
      [{ dir, key }, 'ca.cert', 'ca.cert and ca.key must be set together (or neither, to use the generated CA in ca.dir).'],
    ];
    for (const [config, field, reason] of cases) {
      const err = await rejection(loadOrCreateCa(config, CONFIG_FILE));
      expect([err.path, err.reason]).toEqual([field, reason]);
      expect(err.code).toBe('ERR_CONFIG_INVALID');
    }
  });

  it('refuses a certificate that may not sign certificates', async () => {
    const dir = tempDir();
    const endEntity = opensslCertificate(dir, 'server', ['rsa:2048'], ['basicConstraints=critical,CA:FALSE']);
    const noCertSign = opensslCertificate(dir, 'signer', ['rsa:2048'], [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,digitalSignature',
    ]);

    for (const { certPath, keyPath } of [endEntity, noCertSign]) {
      const err = await rejection(loadOrCreateCa({ dir, cert: certPath, key: keyPath }, CONFIG_FILE));
      expect(err.path).toBe('ca.cert');
      expect(err.reason).toBe(
        `${certPath} is not a CA certificate (it needs basicConstraints CA:TRUE and keyUsage keyCertSign), so it cannot sign the proxy's certificates.`,
      );
    }
  });

  it('accepts an EC CA and refuses a key type it cannot sign with', async () => {
    const dir = tempDir();
    const ecCa = opensslCertificate(dir, 'ec', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign',
    ]);
    const edCa = opensslCertificate(dir, 'ed', ['ed25519'], ['basicConstraints=critical,CA:TRUE']);

    const ca = await loadOrCreateCa({ dir, cert: ecCa.certPath, key: ecCa.keyPath }, CONFIG_FILE);
    expect(ca.key.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(ca.key.equals(createPrivateKey(fs.readFileSync(ecCa.keyPath)))).toBe(true);

    const err = await rejection(loadOrCreateCa({ dir, cert: edCa.certPath, key: edCa.keyPath }, CONFIG_FILE));
    expect(err.path).toBe('ca.key');
    expect(err.reason).toBe(
      `${edCa.keyPath}: Keys of type ed25519 cannot sign certificates here; use an RSA or EC (P-256, P-384, P-521) key.`,
    );
  });
});

describe('caWarnings', () => {
  async function generatedCa(): Promise<CertificateAuthority> {
    return loadOrCreateCa({ dir: tempDir() }, CONFIG_FILE);
  }

  it('is quiet for a CA with more than 30 days left', async () => {
    const ca = await generatedCa();
    expect(caWarnings(ca)).toEqual([]);
    expect(caWarnings(ca, new Date(Date.parse(ca.cert.validTo) - 31 * DAY_MS))).toEqual([]);
  });

  it('warns when the CA expires within 30 days, has expired, or is not valid yet', async () => {
    const ca = await generatedCa();
    const validTo = new Date(ca.cert.validTo);

    const soon = caWarnings(ca, new Date(validTo.getTime() - 10 * DAY_MS + 1000));
    expect(soon).toHaveLength(1);
    expect(soon[0]).toContain(`The proxy CA certificate ${ca.certPath} expires in 9 days (${validTo.toISOString()})`);

    const expired = caWarnings(ca, new Date(validTo.getTime() + DAY_MS));
    expect(expired).toHaveLength(1);
    expect(expired[0]).toContain(`expired on ${validTo.toISOString()}`);

    const early = caWarnings(ca, new Date(Date.parse(ca.cert.validFrom) - DAY_MS));
    expect(early).toHaveLength(1);
    expect(early[0]).toContain('is not valid before');
  });
});
