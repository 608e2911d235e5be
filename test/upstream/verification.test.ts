import { describe, expect, it } from 'vitest';
import { MtlsProxyError } from '../../src/errors.js';
import { VerificationBackoff, verificationCode } from '../../src/upstream/verification.js';

const altName = Object.assign(new Error('Hostname/IP does not match'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });

describe('verificationCode', () => {
  it('recognises a failed server verification, and nothing else', () => {
    expect(verificationCode(altName)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(verificationCode(new MtlsProxyError('ERR_UPSTREAM_CERT_NO_SAN', 'x'))).toBe('ERR_UPSTREAM_CERT_NO_SAN');
    expect(verificationCode(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeNull();
    expect(verificationCode(new Error('no code'))).toBeNull();
    expect(verificationCode(null)).toBeNull();
  });
});

describe('VerificationBackoff', () => {
  it('holds a host:port back for its duration, then lets it be dialled again', () => {
    const backoff = new VerificationBackoff(10_000);
    expect(backoff.active('a:443', 0)).toBeNull();
    expect(backoff.fail('a:443', altName, 1000)).toBe(true);
    expect(backoff.active('a:443', 1000)).toEqual({ error: altName, secondsLeft: 10 });
    expect(backoff.active('a:443', 10_500)).toEqual({ error: altName, secondsLeft: 1 });
    expect(backoff.active('b:443', 1000)).toBeNull();
    expect(backoff.active('a:443', 11_000)).toBeNull();
    expect(backoff.durationSeconds).toBe(10);
  });

  it('reports a back-off as new only when none was running, so it is logged once', () => {
    const backoff = new VerificationBackoff(10_000);
    expect(backoff.fail('a:443', altName, 0)).toBe(true);
    expect(backoff.fail('a:443', altName, 5000)).toBe(false);
    // Renewed by the second failure: still running past the first one's end.
    expect(backoff.active('a:443', 12_000)).not.toBeNull();
    expect(backoff.fail('a:443', altName, 20_000)).toBe(true);
  });
});
