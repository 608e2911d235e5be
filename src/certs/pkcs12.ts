import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import tls from 'node:tls';
import forge from 'node-forge';
import { IdentityError } from './errors.js';
import { convertedPath, shellQuote } from './files.js';

export interface Pkcs12Contents {
  readonly key: KeyObject;
  /** In the file's order; which one is the leaf is for the caller to find. */
  readonly certificates: readonly X509Certificate[];
}

/** The commands that re-encrypt a legacy PKCS#12 file with OpenSSL 3's defaults, next to the old one. */
function convertCommand(file: string): string {
  const converted = convertedPath(file, '.p12');
  return `openssl pkcs12 -legacy -in ${shellQuote(file)} -nodes -out tmp.pem && openssl pkcs12 -export -in tmp.pem -out ${shellQuote(converted)}`;
}

// What Node says when OpenSSL's PKCS12_parse finds no usable key or certificate.
const MISSING_PARTS: Readonly<Record<string, string>> = {
  'Unable to load private key from PFX data': 'holds no private key',
  'Unable to load certificate from PFX data': 'holds no certificate for its private key',
};

/**
 * Node's TLS (OpenSSL 3) is what finally uses the identity, so it decides
 * whether the file is usable; its refusals become errors in the user's terms.
 */
function checkOpenSslAccepts(content: Buffer, file: string, passphrase: string | undefined): void {
  try {
    tls.createSecureContext({ pfx: content, passphrase });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    if (message === 'mac verify failure') {
      const reason = passphrase === undefined
        ? `${file} is protected by a passphrase and none is set`
        : `the passphrase does not open ${file}`;
      throw new IdentityError('passphrase', 'ERR_KEY_PASSPHRASE', reason, { cause: err });
    }
    // OpenSSL 3 without its legacy provider has no RC2 (nor RC4, DES), which OpenSSL 1.x
    // and older Windows used to encrypt the certificates; Node reports that as unsupported.
    if (code === 'ERR_CRYPTO_UNSUPPORTED_OPERATION' || /unsupported/i.test(message)) {
      throw new IdentityError(
        'pfx',
        'ERR_PKCS12_LEGACY',
        `${file} uses legacy RC2-40 encryption, which OpenSSL 3 refuses; convert it with: ${convertCommand(file)} and then delete tmp.pem, which holds the unencrypted key`,
        { cause: err },
      );
    }
    const reason = MISSING_PARTS[message] ?? `is not a PKCS#12 file that can be opened (${message})`;
    throw new IdentityError('pfx', 'ERR_PKCS12_INVALID', `${file} ${reason}`, { cause: err });
  }
}

function derBuffer(value: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(value).getBytes(), 'binary');
}

/** forge parses RSA keys and certificates itself and leaves any other kind as ASN.1. */
function bagKey(bag: forge.pkcs12.Bag): KeyObject {
  const info = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
  return createPrivateKey({ key: derBuffer(info), format: 'der', type: 'pkcs8' });
}

/**
 * forge keeps the TBSCertificate and signature as read but rebuilds the outer
 * signatureAlgorithm from what it understood (adding NULL parameters, say);
 * RFC 5280 4.1.1.2 makes that field a copy of the one inside the
 * TBSCertificate, so copying it back keeps the bytes, and the fingerprint, intact.
 */
function certificateAsn1(cert: forge.pki.Certificate): forge.asn1.Asn1 {
  const { asn1 } = forge;
  const tbs = cert.tbsCertificate;
  const fields = tbs.value as forge.asn1.Asn1[];
  const hasVersion = fields[0]!.tagClass === asn1.Class.CONTEXT_SPECIFIC;
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    fields[hasVersion ? 2 : 1]!,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${cert.signature as string}`),
  ]);
}

function bagCertificate(bag: forge.pkcs12.Bag): X509Certificate {
  return new X509Certificate(derBuffer(bag.cert ? certificateAsn1(bag.cert) : bag.asn1));
}

/** Every key and certificate in the file, decrypted by node-forge. */
function readContents(content: Buffer, file: string, passphrase: string | undefined): { keys: KeyObject[]; certificates: X509Certificate[] } {
  try {
    const pfx = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(content.toString('binary'), false), false, passphrase ?? '');
    const bagsOf = (bagType: string): forge.pkcs12.Bag[] => pfx.getBags({ bagType })[bagType] ?? [];
    return {
      keys: [...bagsOf(forge.pki.oids.pkcs8ShroudedKeyBag!), ...bagsOf(forge.pki.oids.keyBag!)].map(bagKey),
      certificates: bagsOf(forge.pki.oids.certBag!).map(bagCertificate),
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new IdentityError('pfx', 'ERR_PKCS12_INVALID', `${file} cannot be read (${message})`, { cause: err });
  }
}

/**
 * Node can use a PKCS#12 file but cannot take it apart, so node-forge reads the
 * key and certificates out of it once OpenSSL has accepted it (forge reads
 * OpenSSL 3's AES-256/PBKDF2/SHA-256 files as well as the legacy ones).
 */
export function openPkcs12(content: Buffer, file: string, passphrase: string | undefined): Pkcs12Contents {
  checkOpenSslAccepts(content, file, passphrase);
  const { keys, certificates } = readContents(content, file, passphrase);
  // Like OpenSSL's PKCS12_parse, the first key is the identity's.
  const key = keys[0];
  if (key === undefined) throw new IdentityError('pfx', 'ERR_PKCS12_INVALID', `${file} holds no private key`);
  return { key, certificates };
}
