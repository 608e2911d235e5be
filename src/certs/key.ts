import { createPrivateKey, type KeyObject } from 'node:crypto';
import { IdentityError } from './errors.js';
import { convertedPath, shellQuote } from './files.js';

// OpenSSL 3 reports a wrong passphrase on a traditional `Proc-Type: 4,ENCRYPTED` key
// as "DECODER routines::unsupported", the same as garbage, so encryption is read from the PEM itself.
const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/;

/** The command that re-encrypts a key with AES-256 next to the old one. */
function convertCommand(file: string): string {
  const converted = convertedPath(file, '.key');
  return `openssl pkey -provider legacy -provider default -in ${shellQuote(file)} -aes256 -out ${shellQuote(converted)}`;
}

/** The private key in a PEM file, decrypted with the passphrase when it is encrypted. */
export function parsePrivateKey(content: Buffer, file: string, passphrase: string | undefined): KeyObject {
  const encrypted = ENCRYPTED_KEY.test(content.toString('latin1'));
  if (encrypted && passphrase === undefined) {
    throw new IdentityError('passphrase', 'ERR_KEY_PASSPHRASE', `the private key in ${file} is encrypted and no passphrase is set`);
  }
  try {
    return createPrivateKey({ key: content, passphrase });
  } catch (err) {
    if (!encrypted) throw new IdentityError('key', 'ERR_KEY_INVALID', `${file} is not a PEM private key`, { cause: err });
    // DES and the PKCS#5 v1 schemes live in OpenSSL 3's legacy provider, which Node does not load.
    if ((err as { code?: unknown }).code === 'ERR_OSSL_EVP_UNSUPPORTED') {
      throw new IdentityError(
        'key',
        'ERR_KEY_LEGACY',
        `the private key in ${file} is encrypted with a legacy cipher (such as DES) that OpenSSL 3 refuses; re-encrypt it with: ${convertCommand(file)}`,
        { cause: err },
      );
    }
    throw new IdentityError('passphrase', 'ERR_KEY_PASSPHRASE', `the passphrase does not decrypt the private key in ${file}`, { cause: err });
  }
}
