/**
 * Loaded with `node --require` (NODE_OPTIONS, set by `mtls-proxy env` and `run`):
 * sends the process's fetch and http/https requests through $HTTPS_PROXY, which
 * Node 20 ignores on its own. CommonJS, so that --require can load it.
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { TunnelHttpAgent, TunnelHttpsAgent } from './connect-agent.cjs';
import { parseNoProxy } from './no-proxy.cjs';
import { preloadProxy } from './preload-decision.cjs';

type Dispatcher = { dispatch(...args: unknown[]): boolean };

/** The global fetch dispatcher, from the npm undici, loaded on the first fetch so other programs do not pay for it. */
function installFetchDispatcher(): void {
  let agent: Dispatcher | undefined;
  const real = (): Dispatcher => {
    if (agent === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on the first fetch only
      const undici = require('undici') as typeof import('undici');
      agent = new undici.EnvHttpProxyAgent();
    }
    return agent;
  };
  // Node's bundled undici and the npm one both read the global dispatcher from this symbol.
  Object.defineProperty(globalThis, Symbol.for('undici.globalDispatcher.1'), {
    value: { dispatch: (...args: unknown[]) => real().dispatch(...args) },
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

const proxy = preloadProxy(process.env, process.version, process.argv[1], path.dirname(__dirname));
if (proxy !== null) {
  const settings = { proxy, noProxy: parseNoProxy(process.env.NO_PROXY ?? process.env.no_proxy) };
  // Only the global agents: a program that passes its own agent keeps it.
  http.globalAgent = new TunnelHttpAgent(settings, { keepAlive: true });
  https.globalAgent = new TunnelHttpsAgent(settings, { keepAlive: true });
  installFetchDispatcher();
}
