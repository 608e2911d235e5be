/** DIRECT: the client talks TLS to the upstream itself and presents the client certificate. */
import type { PeerDefinition } from './types.js';

export const direct: PeerDefinition = {
  name: 'direct',
  title: 'DIRECT',
  h2: true,
  missing: () => null,
  start: async ({ pki, upstream }) => ({
    route: { proxyPort: null, upstreamPort: upstream.port, caFile: pki.serverCa, clientCert: { cert: pki.clientCert, key: pki.clientKey } },
    service: null,
    version: upstream.label,
    stop: async () => {},
  }),
};
