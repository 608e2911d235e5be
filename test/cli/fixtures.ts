/**
 * One set of certificate files for the CLI tests, made at test time: a client
 * certificate as plain PEM, one with an encrypted key, one in a PKCS#12 file, and
 * the broken variants the error tests need.
 */
import { encryptKey, makeCa, makeClientCert, makePkcs12, writeFiles, type TestCert } from '../helpers/pki.js';

export const BOB_PASS = 'bob-key-passphrase';
export const CAROL_PASS = 'carol-p12-passphrase';
export const DAVE_PASS = 'dave-legacy-passphrase';

export interface CliPki {
  readonly root: TestCert;
  /** Plain PEM, the chain after the leaf. */
  readonly alice: TestCert;
  /** Encrypted PEM key. */
  readonly bob: TestCert;
  /** PKCS#12 with OpenSSL 3's defaults. */
  readonly carol: TestCert;
  /** Legacy RC2-40 PKCS#12. */
  readonly dave: TestCert;
}

/** Writes the files under `dir/certs` and returns the certificates. */
export function writeCliPki(dir: string): CliPki {
  const root = makeCa('CLI Test Root');
  const alice = makeClientCert(root, 'alice', { organization: 'Acme' });
  const bob = makeClientCert(root, 'bob');
  const carol = makeClientCert(root, 'carol');
  const dave = makeClientCert(root, 'dave');
  writeFiles(dir, {
    'certs/root.pem': root.certPem,
    'certs/alice.crt': alice.certPem + root.certPem,
    'certs/alice.key': alice.keyPem,
    'certs/bob.crt': bob.certPem,
    'certs/bob.key': encryptKey(bob.keyPem, BOB_PASS),
    'certs/carol.p12': makePkcs12(carol, [root], CAROL_PASS),
    'certs/carol.pass': `${CAROL_PASS}\n`,
    'certs/dave.p12': makePkcs12(dave, [root], DAVE_PASS, { legacyRc2: true }),
    'certs/not-a.p12': 'this is not a PKCS#12 file\n',
  });
  return { root, alice, bob, carol, dave };
}

/** The three kinds of rule `check` must show: PEM, encrypted PEM, PKCS#12. */
export const THREE_RULES = `clientCertificates:
  - host: "*.example.com"
    cert: certs/alice.crt
    key: certs/alice.key
  - host: api.example.com
    port: [443, 8443]
    cert: certs/bob.crt
    key: certs/bob.key
    passphrase: \${BOB_PASS}
  - host: partner.example.org
    port: "*"
    pfx: certs/carol.p12
    passphraseFile: certs/carol.pass
`;

/** A config listening on any free loopback port with its CA in `./ca`, plus `rest`. */
export function configYaml(rest: string): string {
  return `listen:\n  host: 127.0.0.1\n  port: 0\nca:\n  dir: ./ca\n${rest}`;
}
