/**
 * mitmproxy (mitmdump from Debian): client_certs presents the client
 * certificate; stream_large_bodies keeps the download from being buffered;
 * connection_strategy=lazy opens the server connection at the first request;
 * the resolve addon points every server name at the upstream.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../process/free-port.js';
import { startService, waitForPort } from '../process/service.js';
import type { PeerDefinition } from './types.js';

const ADDON = path.join(path.dirname(fileURLToPath(import.meta.url)), 'mitmproxy_resolve.py');

function version(): string | null {
  try {
    const out = execFileSync('mitmdump', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /Mitmproxy:\s*(\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    return null;
  }
}

export const mitmproxy: PeerDefinition = {
  name: 'mitmproxy',
  title: 'mitmproxy',
  h2: true,
  missing: () => (version() === null ? 'mitmdump is not installed (apt-get install mitmproxy)' : null),
  start: async ({ dir, pki, upstream }) => {
    const port = await freePort();
    const confdir = path.join(dir, 'confdir');
    const service = startService({
      name: 'mitmproxy',
      command: 'mitmdump',
      args: [
        '--quiet',
        '--listen-host', '127.0.0.1',
        '--listen-port', String(port),
        '--set', `confdir=${confdir}`,
        '--set', `client_certs=${pki.clientBundle}`,
        '--set', `ssl_verify_upstream_trusted_ca=${pki.serverCa}`,
        '--set', 'connection_strategy=lazy',
        '--set', 'stream_large_bodies=1m',
        '-s', ADDON,
      ],
      logFile: path.join(dir, 'stdout.log'),
      env: { ...process.env, BENCH_UPSTREAM: `127.0.0.1:${upstream.port}` },
    });
    await waitForPort(service, port, 60_000);
    const caFile = path.join(confdir, 'mitmproxy-ca-cert.pem');
    if (!existsSync(caFile)) throw new Error(`mitmproxy did not write its CA to ${caFile}.`);
    return {
      route: { proxyPort: port, upstreamPort: upstream.port, caFile, clientCert: null },
      service,
      version: `mitmproxy ${version() ?? 'unknown'}`,
      stop: () => service.stop(),
    };
  },
};
