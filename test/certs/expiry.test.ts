import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expiringCertificates } from '../../src/certs/expiry.js';
import { loadCertificateStore } from '../../src/certs/store.js';
import { parseConfig } from '../../src/config/load.js';
import { makeCa, makeClientCert, writeFiles } from '../helpers/pki.js';

const DAY_MS = 86_400_000;

describe('expiringCertificates', () => {
  it('counts days at the time asked, so a certificate enters the window while the proxy runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-proxy-expiry-'));
    const ca = makeCa('Expiry CA');
    const cert = makeClientCert(ca, 'forty', { days: 40 });
    const files = writeFiles(dir, { 'c.crt': cert.certPem, 'c.key': cert.keyPem });
    const config = parseConfig(
      `warnExpiryDays: 30\nclientCertificates:\n  - host: api.example.com\n    cert: ${files['c.crt']}\n    key: ${files['c.key']}\n`,
      join(dir, 'config.yaml'),
      {},
    );
    const store = await loadCertificateStore(config);
    const now = Date.now();
    expect(expiringCertificates(config, store, new Date(now))).toEqual([]);
    const later = expiringCertificates(config, store, new Date(now + 15 * DAY_MS));
    expect(later).toEqual([{ rule: 'api.example.com', fingerprint256: cert.fingerprint256, validTo: new Date(cert.cert.validTo).toISOString(), daysLeft: expect.any(Number) }]);
    expect(later[0]!.daysLeft).toBeGreaterThanOrEqual(24);
    expect(later[0]!.daysLeft).toBeLessThan(30);
  });
});
