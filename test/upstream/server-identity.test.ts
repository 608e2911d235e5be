import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { strictServerIdentity } from '../../src/upstream/server-identity.js';

/** Just the fields host name verification reads. */
function cert(subjectaltname: string | undefined, cn = 'api.example.com'): PeerCertificate {
  return { subject: { CN: cn }, subjectaltname } as unknown as PeerCertificate;
}

describe('strictServerIdentity', () => {
  it('accepts an exact DNS name and a whole-label wildcard', () => {
    expect(strictServerIdentity('api.example.com', cert('DNS:api.example.com'))).toBeUndefined();
    expect(strictServerIdentity('api.example.com', cert('DNS:*.example.com'))).toBeUndefined();
    expect(strictServerIdentity('127.0.0.1', cert('IP Address:127.0.0.1'))).toBeUndefined();
  });

  it('refuses a certificate naming the host only in its CN, which Node would accept', () => {
    expect(checkServerIdentity('api.example.com', cert(undefined))).toBeUndefined();
    expect(strictServerIdentity('api.example.com', cert(undefined))).toMatchObject({ code: 'ERR_UPSTREAM_CERT_NO_SAN' });
  });

  it('refuses a partial wildcard such as f*.example.com, which Node would accept', () => {
    expect(checkServerIdentity('foo.example.com', cert('DNS:f*.example.com', 'x'))).toBeUndefined();
    expect(strictServerIdentity('foo.example.com', cert('DNS:f*.example.com', 'x'))).toMatchObject({ code: 'ERR_UPSTREAM_CERT_PARTIAL_WILDCARD' });
  });

  it('does not fall back to the CN when the SANs name other hosts', () => {
    expect(strictServerIdentity('api.example.com', cert('DNS:other.example.com'))).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('still accepts a host named by another SAN next to a partial wildcard', () => {
    expect(strictServerIdentity('api.example.com', cert('DNS:f*.example.com, DNS:api.example.com'))).toBeUndefined();
  });
});
