/**
 * A plain CONNECT tunnel (bench/peers/tunnel-server.ts): bytes only, so the
 * client's TLS reaches the upstream and the client presents its own certificate.
 */
import path from 'node:path';
import { startService, waitForListeningLine } from '../process/service.js';
import { standaloneScript } from '../process/standalone.js';
import type { PeerDefinition } from './types.js';

interface TunnelArgs {
  /** Every CONNECT goes here, whatever host it names: the bench's resolve map in one line. */
  upstreamPort: number;
}

export const tunnel: PeerDefinition = {
  name: 'tunnel',
  title: 'CONNECT tunnel',
  h2: true,
  missing: () => null,
  start: async ({ dir, pki, upstream }) => {
    const args: TunnelArgs = { upstreamPort: upstream.port };
    const service = startService({
      name: 'tunnel',
      command: process.execPath,
      args: [standaloneScript('peers/tunnel-server.ts'), JSON.stringify(args)],
      logFile: path.join(dir, 'stdout.log'),
    });
    const port = await waitForListeningLine(service);
    return {
      route: { proxyPort: port, upstreamPort: upstream.port, caFile: pki.serverCa, clientCert: { cert: pki.clientCert, key: pki.clientKey } },
      service,
      version: `node ${process.version} net.connect + pipe`,
      stop: () => service.stop(),
    };
  },
};
