/**
 * Loaded with `node --require` (NODE_OPTIONS, set by `mtls-proxy env` and `run`):
 * sends the process's fetch and http/https requests through $HTTPS_PROXY, which
 * Node 20 ignores on its own. CommonJS, so that --require can load it.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { TunnelHttpAgent, TunnelHttpsAgent, type ProxySettings } from './connect-agent.cjs';
import { parseNoProxy } from './no-proxy.cjs';

/** Node 24.5 (and 22.21) send http, https and fetch through the proxy variables when NODE_USE_ENV_PROXY=1. */
export function nodeHonoursEnvProxy(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

/** Inside mtls-proxy itself (the CLI or its config child): the proxy must not send its own traffic to itself. */
function isMtlsProxy(script: string | undefined): boolean {
  if (script === undefined) return false;
  const dist = path.dirname(__dirname);
  try {
    return fs.realpathSync(script).startsWith(dist + path.sep);
  } catch {
    return false;
  }
}

function proxyFromEnv(env: NodeJS.ProcessEnv): URL | null {
  const value = env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy;
  if (value === undefined || value === '') return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** The global fetch dispatcher, from the npm undici, loaded on the first fetch so other programs do not pay for it. */
function installFetchDispatcher(): void {
  let agent: { dispatch(...args: unknown[]): boolean } | undefined;
  const real = (): { dispatch(...args: unknown[]): boolean } => {
    if (agent === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on the first fetch only
      const undici = require('undici') as typeof import('undici');
      agent = new undici.EnvHttpProxyAgent();
    }
    return agent;
  };
  // Node's bundled undici and the npm one read the global dispatcher from this one symbol.
  Object.defineProperty(globalThis, Symbol.for('undici.globalDispatcher.1'), {
    value: { dispatch: (...args: unknown[]) => real().dispatch(...args) },
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

function install(): void {
  if (process.env.NODE_USE_ENV_PROXY === '1' && nodeHonoursEnvProxy(process.version)) return;
  if (isMtlsProxy(process.argv[1])) return;
  const proxy = proxyFromEnv(process.env);
  if (proxy === null || proxy.protocol !== 'http:') return;
  const settings: ProxySettings = { proxy, noProxy: parseNoProxy(process.env.NO_PROXY ?? process.env.no_proxy) };
  // Only the global agents: a program that passes its own agent keeps it.
  http.globalAgent = new TunnelHttpAgent(settings, { keepAlive: true });
  https.globalAgent = new TunnelHttpsAgent(settings, { keepAlive: true });
  installFetchDispatcher();
}

install();
