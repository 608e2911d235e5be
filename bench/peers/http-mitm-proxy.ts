/** http-mitm-proxy (devDependency) with an onRequest certificate hook: bench/peers/http-mitm-proxy-server.ts. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { NEW_HOST_DOMAIN } from '../pki.js';
import { startService, waitForListeningLine } from '../process/service.js';
import { standaloneScript } from '../process/standalone.js';
import type { PeerDefinition } from './types.js';

const require = createRequire(import.meta.url);

function version(): string | null {
  try {
    return (require('http-mitm-proxy/package.json') as { version: string }).version;
  } catch {
    return null;
  }
}

export const httpMitmProxy: PeerDefinition = {
  name: 'http-mitm-proxy',
  title: 'http-mitm-proxy',
  // It speaks HTTP/1.1 only, to clients and to servers.
  h2: false,
  missing: () => (version() === null ? 'http-mitm-proxy is not installed (npm install)' : null),
  start: async ({ dir, pki, upstream }) => {
    const caDir = path.join(dir, 'ca');
    const args = {
      caDir,
      upstreamPort: upstream.port,
      domain: NEW_HOST_DOMAIN,
      clientCert: pki.clientCert,
      clientKey: pki.clientKey,
      serverCa: pki.serverCa,
    };
    const service = startService({
      name: 'http-mitm-proxy',
      command: process.execPath,
      args: [standaloneScript('peers/http-mitm-proxy-server.ts'), JSON.stringify(args)],
      logFile: path.join(dir, 'stdout.log'),
    });
    // It makes its CA with node-forge in JavaScript on first start: seconds.
    const port = await waitForListeningLine(service, 60_000);
    return {
      route: { proxyPort: port, upstreamPort: upstream.port, caFile: path.join(caDir, 'certs', 'ca.pem'), clientCert: null },
      service,
      version: `http-mitm-proxy ${version() ?? 'unknown'}`,
      stop: () => service.stop(),
    };
  },
};
