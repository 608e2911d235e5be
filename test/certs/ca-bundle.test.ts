import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCaBundle, loadCaFile } from '../../src/certs/ca-bundle.js';
import { CertificateError } from '../../src/errors.js';
import { makeCa, writeFiles } from '../helpers/pki.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-ca-bundle-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const rootA = makeCa('Bundle Root A');
const rootB = makeCa('Bundle Root B');
const intermediate = makeCa('Bundle Intermediate', { issuer: rootA });
const files = writeFiles(dir, {
  'a.pem': rootA.certPem,
  // Windows line endings and text around the blocks, as in bundles exported by hand.
  'many.pem': `# corporate roots\r\n${rootB.certPem.replaceAll('\n', '\r\n')}\r\nsome comment\n${intermediate.certPem}`,
  'empty.pem': '',
  'key.pem': rootA.keyPem,
});

async function loadError(paths: string[]): Promise<CertificateError> {
  const err: unknown = await loadCaBundle(paths).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CertificateError);
  return err as CertificateError;
}

describe('loadCaBundle', () => {
  it('returns the PEM of every certificate of every file, in order', async () => {
    const pems = await loadCaBundle([files['a.pem']!, files['many.pem']!]);
    expect(pems).toEqual([rootA.certPem, rootB.certPem, intermediate.certPem]);
  });

  it('returns nothing for no files', async () => {
    expect(await loadCaBundle([])).toEqual([]);
  });

  it('names a file that holds no certificate', async () => {
    for (const name of ['empty.pem', 'key.pem']) {
      const err = await loadError([files['a.pem']!, files[name]!]);
      expect([err.code, err.message]).toEqual(['ERR_CERT_NOT_CERTIFICATE', `${files[name]} is not a PEM certificate`]);
    }
  });

  it('names a missing file or a folder and says why', async () => {
    const missing = path.join(dir, 'missing.pem');
    const err = await loadError([missing]);
    expect([err.code, err.message]).toEqual(['ERR_CERT_FILE', `cannot read ${missing}: no such file`]);
    const folder = await loadError([dir]);
    expect([folder.code, folder.message]).toEqual(['ERR_CERT_FILE', `cannot read ${dir}: it is a folder, not a file`]);
  });

  it('names a certificate block that cannot be parsed', async () => {
    const { 'broken.pem': broken } = writeFiles(dir, {
      'broken.pem': `${rootA.certPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`,
    });
    const err = await loadError([broken!]);
    expect([err.code, err.message]).toEqual(['ERR_CERT_NOT_CERTIFICATE', `certificate 2 in ${broken} is not a valid PEM certificate`]);
  });

  it('loads one file on its own', async () => {
    expect(await loadCaFile(files['many.pem']!)).toEqual([rootB.certPem, intermediate.certPem]);
  });
});
