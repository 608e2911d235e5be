/** What `env` prints and `run` passes on: the CA made if missing, the bundle up to date, the variables. */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/types.js';
import { packageFile } from '../package-files.js';
import { loadOrCreateCa } from '../tls/ca.js';
import { writeBundle } from './bundle.js';
import { proxyEnvironment, proxyUrl } from './env.js';

/** The CommonJS preload, compiled from src/clients/preload.cts to dist/clients/preload.cjs. */
export const PRELOAD_PATH = fileURLToPath(packageFile('clients/preload.cjs'));

/**
 * The variables for a proxy at `host:port` using `config`'s CA and credentials.
 * `nodeOptions` is the caller's NODE_OPTIONS, kept in front of the preload.
 */
export async function environmentFor(
  config: Config,
  address: { host: string; port: number },
  nodeOptions: string | undefined,
): Promise<Array<[string, string]>> {
  const ca = await loadOrCreateCa(config.ca, config.file);
  // A brought CA (ca.cert) still gets its bundle in ca.dir, the one folder the proxy writes to.
  await mkdir(config.ca.dir, { recursive: true });
  const bundle = await writeBundle(config.ca.dir, ca.certPem);
  return proxyEnvironment({
    proxyUrl: proxyUrl(address.host, address.port, config.listen.auth),
    caCert: ca.certPath,
    bundle,
    preload: PRELOAD_PATH,
    nodeOptions,
  });
}
