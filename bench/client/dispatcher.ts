/** undici dispatchers for a route: an Agent straight to the upstream, or a ProxyAgent that CONNECTs. */
import { readFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Agent, ProxyAgent, buildConnector, type Dispatcher } from 'undici';
import type { Route } from './protocol.js';

/** Every bench name is the upstream on loopback, as the proxies' resolve maps say. */
const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

const TIMEOUTS = { headersTimeout: 15_000, bodyTimeout: 30_000 };

const contexts = new Map<string, SecureContext>();

/**
 * One SecureContext per route for the process's life, as a long-running
 * client keeps one SSL_CTX: otherwise every new connection re-parses the PEM
 * key (~2 ms with OpenSSL 3), a client cost that only routes presenting a
 * certificate themselves (DIRECT, tunnel) would pay.
 */
function secureContextOf(route: Route): SecureContext {
  const key = JSON.stringify([route.caFile, route.clientCert]);
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({
      ca: readFileSync(route.caFile),
      ...(route.clientCert ? { cert: readFileSync(route.clientCert.cert), key: readFileSync(route.clientCert.key) } : {}),
    });
    contexts.set(key, context);
  }
  return context;
}

export function createDispatcher(route: Route): Dispatcher {
  if (route.proxyPort === null) {
    // A connector built here, not connect options: an Agent drops an origin's pool (and
    // with it the TLS session cache) whenever its last connection closes, so DIRECT
    // would lose resumption that ProxyAgent, with one connector for all, keeps.
    return new Agent({ ...TIMEOUTS, connect: buildConnector({ secureContext: secureContextOf(route), lookup: toLoopback }) });
  }
  return new ProxyAgent({ ...TIMEOUTS, uri: `http://127.0.0.1:${route.proxyPort}`, requestTls: { secureContext: secureContextOf(route) } });
}

/** The origin a request names: port 443 through a proxy, whose resolve map moves it; the real port when direct. */
export function originOf(route: Route, host: string): string {
  return route.proxyPort === null ? `https://${host}:${route.upstreamPort}` : `https://${host}`;
}

/** The TLS options for a hand-made connection (the idle scenario). */
export function tlsOptionsOf(route: Route): { secureContext: SecureContext } {
  return { secureContext: secureContextOf(route) };
}
