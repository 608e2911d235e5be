import { X509Certificate } from 'node:crypto';
import { CertificateError } from '../errors.js';
import { readMaterial, shellQuote } from './files.js';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Why a file without a PEM certificate is not one, with the fix when it is DER. */
function notPemReason(content: Buffer, file: string): string {
  try {
    new X509Certificate(content);
  } catch {
    return `${file} is not a PEM certificate`;
  }
  return `${file} is not a PEM certificate but a DER one; convert it with: openssl x509 -inform der -in ${shellQuote(file)} -out ${shellQuote(`${file}.pem`)}`;
}

/** Every PEM certificate in the file, in order; ERR_CERT_NOT_CERTIFICATE when there is none or one is broken. */
export function parseCertificates(content: Buffer, file: string): X509Certificate[] {
  const blocks = content.toString('latin1').match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) throw new CertificateError('ERR_CERT_NOT_CERTIFICATE', notPemReason(content, file));
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new CertificateError('ERR_CERT_NOT_CERTIFICATE', `certificate ${i + 1} in ${file} is not a valid PEM certificate`, { cause: err });
    }
  });
}

export async function readCertificates(file: string): Promise<X509Certificate[]> {
  return parseCertificates(await readMaterial(file), file);
}
