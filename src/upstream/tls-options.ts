import type { ConnectionOptions, SecureContext } from 'node:tls';
import { isIpLiteral } from '../match/host.js';
import type { UpstreamRoute } from './route.js';
import { strictServerIdentity } from './server-identity.js';

/** How the proxy opens TLS to a route's server: the one place that decides it (the probe opens it the same way). */
export function upstreamTlsOptions(route: UpstreamRoute, secureContext: SecureContext | undefined): ConnectionOptions {
  return {
    // RFC 6066 §3: no SNI for IP literals.
    ...(isIpLiteral(route.host) !== 0 ? {} : { servername: route.host }),
    secureContext,
    rejectUnauthorized: route.verify,
    checkServerIdentity: (_name, cert) => strictServerIdentity(route.host, cert),
    ALPNProtocols: ['http/1.1'],
  };
}
