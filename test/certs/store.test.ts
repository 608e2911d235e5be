import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCertificateStore } from '../../src/certs/store.js';
import type { ClientCertificateRule, Config } from '../../src/config/types.js';
import { ConfigError, ConfigErrors } from '../../src/errors.js';
import { encryptKey, makeCa, makeClientCert, makePkcs12, writeFiles } from '../helpers/pki.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-store-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const DAY_MS = 24 * 60 * 60 * 1000;
const CONFIG_FILE = path.join(dir, 'config.yaml');

const root = makeCa('Store Root');
const partnerRoot = makeCa('Partner Root');
const alice = makeClientCert(root, 'alice');
const bob = makeClientCert(partnerRoot, 'bob');
const expired = makeClientCert(root, 'expired', { expired: true });
const files = writeFiles(dir, {
  'root.pem': root.certPem,
  'partner-root.pem': partnerRoot.certPem,
  'alice.crt': alice.certPem,
  'alice.key': encryptKey(alice.keyPem, 'alice-pass'),
  'bob.p12': makePkcs12(bob, [], 'bob-pass'),
  'expired.crt': expired.certPem,
  'expired.key': expired.keyPem,
  'empty.pem': '',
});
const file = (name: string): string => files[name]!;

function rule(index: number, fields: Partial<ClientCertificateRule>): ClientCertificateRule {
  return { index, host: `host${index}.example.test`, ports: [443], ca: [], ...fields };
}

function config(rules: ClientCertificateRule[], upstreamCa: string[] = [], warnExpiryDays = 30): Config {
  return {
    file: CONFIG_FILE,
    listen: { host: '127.0.0.1', port: 8080 },
    ca: { dir: path.join(dir, 'ca') },
    intercept: 'matched',
    upstream: { verify: true, ca: upstreamCa, systemCA: true, noProxy: [], resolve: {} },
    clientCertificates: rules,
    log: { level: 'info', format: 'json' },
    warnExpiryDays,
    timeouts: { connect: 10, handshake: 10, response: 60, idle: 60 },
    limits: { maxConnections: 10000 },
    workers: 1,
  };
}

const aliceRule = rule(0, { cert: file('alice.crt'), key: file('alice.key'), passphrase: 'alice-pass' });
const bobRule = rule(1, { pfx: file('bob.p12'), passphrase: 'bob-pass', ca: [file('partner-root.pem')] });

async function storeErrors(cfg: Config): Promise<readonly ConfigError[]> {
  const err: unknown = await loadCertificateStore(cfg).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigErrors);
  return (err as ConfigErrors).errors;
}

describe('loadCertificateStore', () => {
  it('loads every identity and CA file of a good config', async () => {
    const store = await loadCertificateStore(config([aliceRule, bobRule], [file('root.pem'), file('partner-root.pem')]));
    expect(store.identity(0).leaf.fingerprint256).toBe(alice.fingerprint256);
    expect(store.identity(1).leaf.fingerprint256).toBe(bob.fingerprint256);
    expect(store.upstreamCa).toEqual([root.certPem, partnerRoot.certPem]);
    expect(store.ruleCa(0)).toEqual([]);
    expect(store.ruleCa(1)).toEqual([partnerRoot.certPem]);
    expect(store.warnings).toEqual([]);
  });

  it('answers for rules by their index, and refuses an index no rule has', async () => {
    const store = await loadCertificateStore(config([rule(0, { cert: file('alice.crt'), key: file('alice.key'), passphrase: 'alice-pass' })]));
    expect(store.identity(0).summary.subject).toBe('CN=alice');
    expect(() => store.identity(1)).toThrow(RangeError);
    expect(() => store.ruleCa(7)).toThrow(RangeError);
  });

  it('reports every problem at once, each with its config path', async () => {
    const missing = path.join(dir, 'missing.pem');
    const errors = await storeErrors(config(
      [
        rule(0, { cert: file('alice.crt'), key: file('alice.key'), passphrase: 'wrong-pass', ca: [missing] }),
        rule(1, { pfx: file('bob.p12'), passphrase: 'bob-pass' }),
        rule(2, { cert: file('alice.crt'), key: missing }),
        rule(3, { pfx: file('bob.p12') }),
      ],
      [file('root.pem'), file('empty.pem')],
    ));
    expect(errors.map((e) => [e.file, e.path, e.reason])).toEqual([
      [CONFIG_FILE, 'upstream.ca[1]', `${file('empty.pem')} is not a PEM certificate`],
      [CONFIG_FILE, 'clientCertificates[0].passphrase', `the passphrase does not decrypt the private key in ${file('alice.key')}`],
      [CONFIG_FILE, 'clientCertificates[0].ca[0]', `cannot read ${missing}: no such file`],
      [CONFIG_FILE, 'clientCertificates[2].key', `cannot read ${missing}: no such file`],
      [CONFIG_FILE, 'clientCertificates[3].passphrase', `${file('bob.p12')} is protected by a passphrase and none is set`],
    ]);
    expect(errors[3]!.message).toBe(`${CONFIG_FILE}: clientCertificates[2].key: cannot read ${missing}: no such file`);
    expect(errors.map((e) => e.message).join('\n')).not.toContain('wrong-pass');
  });

  it('reports an unreadable passphraseFile with the file problems of every rule, not before them', async () => {
    const missing = path.join(dir, 'missing.p12');
    const problem = 'cannot read "/run/secrets/nothing": no such file';
    const errors = await storeErrors(config([
      rule(0, { pfx: missing, passphraseFileProblem: problem }),
      // Readable, but locked without the passphrase the missing file holds: that follows from the first problem.
      rule(1, { pfx: file('bob.p12'), passphraseFileProblem: problem }),
      rule(2, { cert: file('alice.crt'), key: missing }),
    ]));
    expect(errors.map((e) => [e.path, e.reason])).toEqual([
      ['clientCertificates[0].passphraseFile', problem],
      ['clientCertificates[0].pfx', `cannot read ${missing}: no such file`],
      ['clientCertificates[1].passphraseFile', problem],
      ['clientCertificates[2].key', `cannot read ${missing}: no such file`],
    ]);
  });

  it('warns about an expired certificate without failing', async () => {
    const store = await loadCertificateStore(config([aliceRule, rule(1, { cert: file('expired.crt'), key: file('expired.key') })]));
    const { validTo } = store.identity(1).summary;
    expect(store.warnings).toEqual([
      { path: 'clientCertificates[1].cert', message: `the client certificate CN=expired expired on ${validTo}; servers will reject it` },
    ]);
  });

  it('warns about a certificate expiring within warnExpiryDays, with the days left', async () => {
    const probe = await loadCertificateStore(config([bobRule]));
    const validTo = Date.parse(probe.identity(1).summary.validTo);
    const now = new Date(validTo - 9.5 * DAY_MS);

    const soon = await loadCertificateStore(config([bobRule], [], 30), now);
    expect(soon.warnings).toEqual([
      { path: 'clientCertificates[1].pfx', message: `the client certificate CN=bob expires in 9 days, on ${new Date(validTo).toISOString()}` },
    ]);
    expect((await loadCertificateStore(config([bobRule], [], 9), now)).warnings).toEqual([]);
    const lastDay = await loadCertificateStore(config([bobRule], [], 30), new Date(validTo - DAY_MS / 2));
    expect(lastDay.warnings.map((w) => w.message)).toEqual([`the client certificate CN=bob expires within a day, on ${new Date(validTo).toISOString()}`]);
  });

  it('loads a config without any certificate', async () => {
    const store = await loadCertificateStore(config([]));
    expect([store.upstreamCa, store.warnings]).toEqual([[], []]);
  });
});
