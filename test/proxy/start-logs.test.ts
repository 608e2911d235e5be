import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCa, makeClientCert, writeFiles } from '../helpers/pki.js';
import { startTestProxy } from '../helpers/test-proxy.js';

describe('start-up log lines about client certificates', () => {
  it('logs one `certificate expiring` line for a certificate within warnExpiryDays, and no second warning about it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-proxy-start-logs-'));
    const ca = makeCa('Start Logs CA');
    const soon = makeClientCert(ca, 'soon', { days: 10 });
    const files = writeFiles(dir, { 'soon.crt': soon.certPem, 'soon.key': soon.keyPem });
    const proxy = await startTestProxy(`clientCertificates:\n  - host: api.example.com\n    cert: ${files['soon.crt']}\n    key: ${files['soon.key']}\n`, { dir });
    try {
      const expiring = proxy.logs('certificate expiring');
      expect(expiring).toHaveLength(1);
      expect(expiring[0]).toMatchObject({ rule: 'api.example.com', fingerprint256: soon.fingerprint256, validTo: new Date(soon.cert.validTo).toISOString() });
      expect([9, 10]).toContain(expiring[0]!.daysLeft);
      expect(proxy.lines.filter((l) => l.level === 40 && /expires/.test(l.msg))).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('start-up log lines about risky wildcards', () => {
  it('logs one warn line per pattern that can reach a name anyone may register, and none for a safe one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-proxy-start-logs-'));
    const ca = makeCa('Risky CA');
    const alice = makeClientCert(ca, 'alice');
    const files = writeFiles(dir, { 'alice.crt': alice.certPem, 'alice.key': alice.keyPem });
    const rule = (host: string): string => `  - { host: "${host}", cert: ${files['alice.crt']}, key: ${files['alice.key']} }\n`;
    const proxy = await startTestProxy(`clientCertificates:\n${rule('api.example.*')}${rule('10.0.0.*')}${rule('*example.org')}${rule('*.example.net')}`, { dir });
    try {
      const risky = proxy.lines.filter((l) => l.level === 40 && / a name anyone may register/.test(l.msg));
      expect(risky.map((l) => l.rule)).toEqual(['api.example.*', '10.0.0.*', '*example.org']);
      expect(risky[0]!.msg).toContain('such as "api.example.{com,net}"');
      expect(risky[1]!.msg).toContain('10.0.0.evil.com');
      expect(risky[2]!.msg).toContain('write "*.example.org"');
    } finally {
      await proxy.close();
    }
  });
});
