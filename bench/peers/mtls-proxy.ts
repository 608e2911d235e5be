/** mtls-proxy itself: the built CLI (dist/cli.js), one rule for *.example.com, a resolve entry per bench name. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NEW_HOST_DOMAIN } from '../pki.js';
import { startService, waitForListeningLine } from '../process/service.js';
import type { PeerDefinition, PeerEnv } from './types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

function version(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** JSON is YAML, so the config needs no serializer. */
function config({ dir, pki, upstream, hosts, mtlsProxyWorkers }: PeerEnv): object {
  const target = `127.0.0.1:${upstream.port}`;
  return {
    listen: { host: '127.0.0.1', port: 0 },
    ca: { dir: path.join(dir, 'ca') },
    upstream: {
      ca: [pki.serverCa],
      resolve: Object.fromEntries(hosts.map((host) => [`${host}:443`, target])),
    },
    clientCertificates: [{ host: `*.${NEW_HOST_DOMAIN}`, cert: pki.clientCert, key: pki.clientKey }],
    workers: mtlsProxyWorkers,
  };
}

export const mtlsProxy: PeerDefinition = {
  name: 'mtls-proxy',
  title: 'mtls-proxy',
  h2: true,
  missing: () => (existsSync(CLI) ? null : 'dist/cli.js is missing (npm run build)'),
  start: async (env) => {
    const configFile = path.join(env.dir, 'config.yaml');
    writeFileSync(configFile, JSON.stringify(config(env), null, 2));
    const service = startService({
      name: 'mtls-proxy',
      command: env.mtlsProxyNode,
      args: [...env.mtlsProxyNodeFlags, CLI, 'start', '-c', configFile],
      logFile: path.join(env.dir, 'stdout.log'),
      cwd: env.dir,
    });
    const port = await waitForListeningLine(service);
    return {
      route: { proxyPort: port, upstreamPort: env.upstream.port, caFile: path.join(env.dir, 'ca', 'ca.crt'), clientCert: null },
      service,
      version: `mtls-proxy ${version()} on node ${[execFileSync(env.mtlsProxyNode, ['--version'], { encoding: 'utf8' }).trim(), ...env.mtlsProxyNodeFlags].join(' ')}`,
      stop: () => service.stop(),
    };
  },
};
