import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { MtlsProxyError } from '../errors.js';

/** A SAN like `f*.example.com`: a wildcard that is not the whole leftmost label. */
function isPartialWildcard(dnsName: string): boolean {
  if (!dnsName.includes('*')) return false;
  return !(dnsName.startsWith('*.') && !dnsName.includes('*', 1));
}

/**
 * Host name verification stricter than Node's: the certificate must carry a
 * subjectAltName (Node still falls back to the CN, which browsers stopped
 * accepting in 2017), and partial wildcards such as `f*.example.com` (RFC 9525
 * §6.3 forbids them; Node accepts them) are ignored.
 */
export function strictServerIdentity(host: string, cert: PeerCertificate): Error | undefined {
  const san = cert.subjectaltname;
  if (!san) {
    return new MtlsProxyError('ERR_UPSTREAM_CERT_NO_SAN', `The certificate of ${host} has no subjectAltName, and a name only in the common name is not accepted.`);
  }
  const entries = san.split(', ');
  const kept = entries.filter((e) => !(e.startsWith('DNS:') && isPartialWildcard(e.slice(4))));
  // An empty subject stops Node from falling back to the CN.
  const err = checkServerIdentity(host, { ...cert, subject: {} as PeerCertificate['subject'], subjectaltname: kept.join(', ') });
  if (err && kept.length !== entries.length) {
    return new MtlsProxyError('ERR_UPSTREAM_CERT_PARTIAL_WILDCARD', `The certificate of ${host} names it only through a partial wildcard, which is not accepted.`, { cause: err });
  }
  return err;
}
