import type { ClientCertificateRule, Config } from '../config/types.js';
import { isIpLiteral, parseAuthority } from '../match/host.js';

/** Where and how one upstream is reached; everything a pool needs, decided before any I/O. */
export interface UpstreamRoute {
  /** Canonical host name: SNI, Host checks and verification use it. */
  readonly host: string;
  readonly port: number;
  /** The address actually dialled (upstream.resolve may change it). */
  readonly address: string;
  readonly addressPort: number;
  readonly tls: boolean;
  /** The rule whose certificate is presented; null for none. Only ever set when tls. */
  readonly rule: ClientCertificateRule | null;
  readonly verify: boolean;
}

/** Like curl --resolve: a `host:port` entry wins over a bare `host` entry. */
export function resolveAddress(resolve: Config['upstream']['resolve'], host: string, port: number): { address: string; port: number } {
  const bracketed = isIpLiteral(host) === 6 ? `[${host}]` : host;
  const mapped = resolve[`${bracketed}:${port}`] ?? resolve[host];
  if (mapped === undefined) return { address: host, port };
  const target = parseAuthority(mapped, port);
  return { address: target.host, port: target.port };
}

export function upstreamRoute(config: Config, host: string, port: number, tls: boolean, rule: ClientCertificateRule | null): UpstreamRoute {
  const { address, port: addressPort } = resolveAddress(config.upstream.resolve, host, port);
  return {
    host,
    port,
    address,
    addressPort,
    tls,
    rule: tls ? rule : null,
    verify: rule?.verify ?? config.upstream.verify,
  };
}

/** Routes sharing a key may share sockets and TLS sessions; any other pair never does. */
export function routeKey(route: UpstreamRoute): string {
  return [route.tls ? 'https' : 'http', route.host, route.port, route.address, route.addressPort, route.rule?.index ?? '-', route.verify ? 'v' : 'nv'].join('|');
}
