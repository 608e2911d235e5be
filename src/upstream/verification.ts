import { MtlsProxyError } from '../errors.js';

/** The codes Node, OpenSSL and strictServerIdentity give a server certificate that failed verification. */
export const SERVER_VERIFICATION_CODES: ReadonlySet<string> = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_UPSTREAM_CERT_NO_SAN',
  'ERR_UPSTREAM_CERT_PARTIAL_WILDCARD',
]);

/** The verification code of an error raised by a TLS dial, or null for any other failure. */
export function verificationCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SERVER_VERIFICATION_CODES.has(code) ? code : null;
}

/**
 * How long a host:port whose certificate just failed verification is not offered
 * the client certificate again. Node verifies the server only after the handshake
 * (nodejs/node#20737), so each attempt hands the certificate and a CertificateVerify
 * to whoever answered; a client retrying in a loop must not multiply that.
 */
export const VERIFICATION_BACKOFF_MS = 15_000;

/**
 * A request refused without dialling, because its upstream failed verification
 * moments ago. It carries the original code, so the client gets the same 502.
 */
export class VerificationBackoffError extends MtlsProxyError {
  constructor(code: string, label: string, secondsLeft: number, cause: unknown) {
    super(code, `The certificate of ${label} failed verification (${code}) moments ago; the client certificate is withheld from it for ${secondsLeft} s more.`, { cause });
  }
}

interface Failure {
  readonly until: number;
  readonly error: Error & { code: string };
}

/**
 * Remembers, per dialled upstream, the verification failure that started a back-off.
 * Pure bookkeeping: the caller passes the time, so tests need no clock.
 */
export class VerificationBackoff {
  readonly #failures = new Map<string, Failure>();
  readonly #durationMs: number;

  constructor(durationMs = VERIFICATION_BACKOFF_MS) {
    this.#durationMs = durationMs;
  }

  /** Starts a back-off for `key`; true when none was running (so that it is logged once). */
  fail(key: string, error: Error & { code: string }, now: number): boolean {
    const started = this.active(key, now) === null;
    this.#failures.set(key, { until: now + this.#durationMs, error });
    return started;
  }

  /** The failure whose back-off still runs for `key`, with the seconds left; null when none. */
  active(key: string, now: number): { error: Error & { code: string }; secondsLeft: number } | null {
    const failure = this.#failures.get(key);
    if (!failure) return null;
    if (failure.until <= now) {
      this.#failures.delete(key);
      return null;
    }
    return { error: failure.error, secondsLeft: Math.ceil((failure.until - now) / 1000) };
  }

  get durationSeconds(): number {
    return this.#durationMs / 1000;
  }
}
