import type { ClientCertificateRule, Config } from '../config/types.js';
import { formatAuthority, isIpLiteral, parseAuthority } from '../match/host.js';
import type { TcpTarget } from './dial.js';
import type { UpstreamCredentials, UpstreamSecureContexts } from './secure-contexts.js';
import { NoProxy } from './upstream-proxy.js';

/** Where and how one upstream is reached; everything a pool needs, decided before any I/O. */
export interface UpstreamRoute {
  /** Canonical host name: SNI, Host checks and verification use it. */
  readonly host: string;
  readonly port: number;
  /** The TCP leg actually dialled (upstream.resolve and upstream.proxy change it). */
  readonly tcp: TcpTarget;
  readonly tls: boolean;
  /** The rule whose certificate is presented; null for none. Only ever set when tls. */
  readonly rule: ClientCertificateRule | null;
  readonly verify: boolean;
  /** What the TLS connection presents and trusts; null for plain HTTP. */
  readonly credentials: UpstreamCredentials | null;
  /** Routes sharing a key may share sockets and TLS sessions; any other pair never does. */
  readonly key: string;
}

/** Like curl --resolve: a `host:port` entry wins over a bare `host` entry. */
export function resolveAddress(resolve: Config['upstream']['resolve'], host: string, port: number): { address: string; port: number } {
  const bracketed = isIpLiteral(host) === 6 ? `[${host}]` : host;
  const mapped = resolve[`${bracketed}:${port}`] ?? resolve[host];
  if (mapped === undefined) return { address: host, port };
  // Values are canonical: a bare address (IPv6 unbracketed), or address:port.
  if (isIpLiteral(mapped) !== 0) return { address: mapped, port };
  const target = parseAuthority(mapped);
  return { address: target.host, port: target.port };
}

/**
 * Where the TCP leg of host:port goes, in a few words: `10.1.2.3:443 (upstream.resolve)
 * through upstream.proxy corp:3128`. The proxy's credentials are never shown.
 */
export function describeTcpTarget(host: string, port: number, tcp: TcpTarget): string {
  const resolved = tcp.address !== host || tcp.port !== port;
  const dialled = `${formatAuthority(tcp.address, tcp.port)} (${resolved ? 'upstream.resolve' : 'DNS'})`;
  return tcp.via ? `${dialled} through upstream.proxy ${tcp.via.hostname}:${tcp.via.port || 80}` : dialled;
}

/** Decides routes from one config: resolve, upstream.proxy and noProxy, per-rule verify. */
export class Routes {
  readonly #config: Config;
  readonly #noProxy: NoProxy;
  readonly #proxy: URL | null;
  readonly #credentials: UpstreamSecureContexts;

  constructor(config: Config, credentials: UpstreamSecureContexts) {
    this.#config = config;
    this.#credentials = credentials;
    this.#noProxy = new NoProxy(config.upstream.noProxy);
    this.#proxy = config.upstream.proxy === undefined ? null : new URL(config.upstream.proxy);
  }

  /**
   * The TCP leg to host:port, for tunnels and for every route. With both a resolve
   * entry and upstream.proxy, the entry wins: the CONNECT to the upstream proxy names
   * the resolved address:port. curl (--resolve with -x) sends the name instead and
   * lets the proxy's DNS answer, so the entry is silently dropped; but an entry is
   * written because DNS gives the wrong answer or none (a staging server, a name only
   * the hosts file knows), which the upstream proxy's DNS would repeat. noProxy is
   * checked against the name and against the resolved address, so that a CIDR entry
   * (10.0.0.0/8) also covers names resolved into it.
   */
  tcpTarget(host: string, port: number): TcpTarget {
    const { address, port: addressPort } = resolveAddress(this.#config.upstream.resolve, host, port);
    const direct = this.#proxy === null || this.#noProxy.bypasses(host) || (address !== host && this.#noProxy.bypasses(address));
    return { address, port: addressPort, via: direct ? null : this.#proxy };
  }

  route(host: string, port: number, tls: boolean, rule: ClientCertificateRule | null): UpstreamRoute {
    const tcp = this.tcpTarget(host, port);
    const lent = tls ? rule : null;
    const verify = rule?.verify ?? this.#config.upstream.verify;
    const credentials = tls ? this.#credentials.get(lent?.index ?? null) : null;
    // The identity's content, not the rule's position: a reload that reorders rules keeps its pools.
    const key = [tls ? 'https' : 'http', host, port, tcp.address, tcp.port, lent?.host ?? '-', credentials?.id ?? '-', verify ? 'v' : 'nv', tcp.via?.href ?? 'direct'].join('|');
    return { host, port, tcp, tls, rule: lent, verify, credentials, key };
  }
}
