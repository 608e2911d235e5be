import type { Config } from '../config/types.js';
import type { CertificateStore } from './store.js';
import { daysUntil } from './summary.js';

export interface ExpiringCertificate {
  rule: string;
  fingerprint256: string;
  validTo: string;
  daysLeft: number;
}

/**
 * The rules whose client certificate expires within warnExpiryDays of `now`
 * (or has expired). Days are counted at the time asked, not at load, so the
 * proxy's daily check sees a certificate come into the window.
 */
export function expiringCertificates(config: Config, store: CertificateStore, now: Date = new Date()): ExpiringCertificate[] {
  const expiring: ExpiringCertificate[] = [];
  for (const rule of config.clientCertificates) {
    const { fingerprint256, validTo } = store.identity(rule.index).summary;
    const daysLeft = daysUntil(new Date(validTo), now);
    if (daysLeft < config.warnExpiryDays) expiring.push({ rule: rule.host, fingerprint256, validTo, daysLeft });
  }
  return expiring;
}
