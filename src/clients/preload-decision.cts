/** Whether the preload sends this process's requests through a proxy, and through which: decided without side effects. */
import fs from 'node:fs';
import path from 'node:path';

/** Node 24.5 (and 22.21) send http, https and fetch through the proxy variables when NODE_USE_ENV_PROXY=1. */
export function nodeHonoursEnvProxy(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

/** A script of mtls-proxy itself (the CLI, or its config child): the proxy must not send its own traffic to itself. */
export function isPackageScript(script: string | undefined, packageDist: string): boolean {
  if (script === undefined) return false;
  try {
    return fs.realpathSync(script).startsWith(fs.realpathSync(packageDist) + path.sep);
  } catch {
    return false;
  }
}

/** The proxy to use, or null to leave the process alone. */
export function preloadProxy(env: NodeJS.ProcessEnv, version: string, script: string | undefined, packageDist: string): URL | null {
  if (env.NODE_USE_ENV_PROXY === '1' && nodeHonoursEnvProxy(version)) return null;
  if (isPackageScript(script, packageDist)) return null;
  const value = env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy;
  if (value === undefined || value === '' || !URL.canParse(value)) return null;
  const url = new URL(value);
  return url.protocol === 'http:' ? url : null;
}
