/** The certificate of a CA the proxy generates for itself: unique per install, signs leaves only. */
import type { KeyObject } from 'node:crypto';
import { MAX_COMMON_NAME_LENGTH, basicConstraints, commonName, issueCertificate, keyUsage } from './x509.js';

const BACKDATE_MS = 3_600_000;
const VALIDITY_YEARS = 10;

export function buildCaCertificate(
  keys: { readonly publicKey: KeyObject; readonly privateKey: KeyObject },
  hostname: string,
  now: Date,
): string {
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const date = now.toISOString().slice(0, 10);
  // The name tells apart the CAs a user may have trusted on several machines over time.
  const fixedLength = `mtls-proxy CA (, ${date})`.length;
  const name = `mtls-proxy CA (${hostname.slice(0, MAX_COMMON_NAME_LENGTH - fixedLength)}, ${date})`;
  return issueCertificate(
    {
      subject: [commonName(name), { type: 'organizationName', value: 'mtls-proxy' }],
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
      subjectPublicKeyInfo: keys.publicKey.export({ type: 'spki', format: 'der' }),
      extensions: [
        // pathLen 0: this CA signs leaves, never another CA.
        basicConstraints({ ca: true, pathLength: 0 }),
        keyUsage(['keyCertSign', 'cRLSign']),
      ],
    },
    keys.privateKey,
  );
}
