import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeCertificate } from '../../src/certs/summary.js';
import { makeCa, makeClientCert, makeSelfSigned, writeFiles } from '../helpers/pki.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-summary-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `openssl x509 -noout <flag>` printed as `name=value`; returns the value. */
function openssl(file: string, ...flags: string[]): string {
  const out = execFileSync('openssl', ['x509', '-in', file, '-noout', ...flags], { encoding: 'utf8' }).trim();
  return out.slice(out.indexOf('=') + 1);
}

describe('summarizeCertificate', () => {
  const root = makeCa('Summary Root');
  const client = makeClientCert(root, 'client', { organization: 'Acme, Inc.' });
  const { 'client.pem': file } = writeFiles(dir, { 'client.pem': client.certPem });

  it('says what openssl says about the certificate', () => {
    const summary = summarizeCertificate(client.cert);
    const opensslName = (flag: string): string => openssl(file!, flag, '-nameopt', 'esc_2253,esc_ctrl,utf8,sep_comma_plus,sname');
    expect(summary.subject).toBe('CN=client,O=Acme\\, Inc.');
    expect(summary.subject).toBe(opensslName('-subject'));
    expect(summary.issuer).toBe('CN=Summary Root');
    expect(summary.issuer).toBe(opensslName('-issuer'));
    expect(summary.fingerprint256).toBe(openssl(file!, '-fingerprint', '-sha256'));
    expect(summary.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(summary.serialNumber).toBe(openssl(file!, '-serial'));
    expect(summary.validFrom).toBe(new Date(openssl(file!, '-startdate')).toISOString());
    expect(summary.validTo).toBe(new Date(openssl(file!, '-enddate')).toISOString());
    expect(summary.validTo).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(summary.selfSigned).toBe(false);
  });

  it('counts whole days left, rounding down, negative once expired', () => {
    const validTo = Date.parse(summarizeCertificate(client.cert).validTo);
    const day = 24 * 60 * 60 * 1000;
    expect(summarizeCertificate(client.cert, new Date(validTo - 10.5 * day)).daysLeft).toBe(10);
    expect(summarizeCertificate(client.cert, new Date(validTo - 1)).daysLeft).toBe(0);
    expect(summarizeCertificate(client.cert, new Date(validTo + 1)).daysLeft).toBe(-1);
    expect(summarizeCertificate(client.cert, new Date(validTo + 3.5 * day)).daysLeft).toBe(-4);
  });

  it('tells self-signed certificates, CA or leaf, from issued ones', () => {
    expect(summarizeCertificate(root.cert).selfSigned).toBe(true);
    expect(summarizeCertificate(makeSelfSigned('self', { clientAuth: true }).cert).selfSigned).toBe(true);
    // Same subject as its issuer but signed by another key: not self-signed.
    const namesake = makeClientCert(root, 'Summary Root');
    expect(namesake.cert.subject).toBe(namesake.cert.issuer);
    expect(summarizeCertificate(namesake.cert).selfSigned).toBe(false);
  });
});
