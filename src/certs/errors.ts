import { CertificateError } from '../errors.js';

/** The key of a `clientCertificates` rule that a problem is about. */
export type IdentityField = 'cert' | 'key' | 'pfx' | 'passphrase';

/** A client identity that cannot be used, and which config key to change. */
export class IdentityError extends CertificateError {
  readonly field: IdentityField;

  constructor(field: IdentityField, code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.field = field;
  }
}

/** Several problems with one identity's files found at once (a missing cert and a missing key). */
export class IdentityErrors extends CertificateError {
  readonly errors: readonly IdentityError[];

  constructor(errors: readonly IdentityError[]) {
    super('ERR_IDENTITY_FILES', errors.map((e) => e.message).join('\n'));
    this.errors = errors;
  }
}
