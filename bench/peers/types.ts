import type { Route } from '../client/protocol.js';
import type { BenchPki } from '../pki.js';
import type { Service } from '../process/service.js';
import type { Upstream } from '../upstream.js';

export type PeerName = 'direct' | 'tunnel' | 'mitmproxy' | 'http-mitm-proxy' | 'mtls-proxy';

export interface PeerEnv {
  /** The peer's own folder (logs, CA, config). */
  dir: string;
  pki: BenchPki;
  upstream: Upstream;
  /** Every name the bench uses; peers that need a resolve map list them all. */
  hosts: readonly string[];
  /** The node binary mtls-proxy runs on. */
  mtlsProxyNode: string;
  /** Extra node flags for mtls-proxy (e.g. --cpu-prof). */
  mtlsProxyNodeFlags: readonly string[];
  /** mtls-proxy's `workers` setting. */
  mtlsProxyWorkers: number;
}

export interface RunningPeer {
  readonly route: Route;
  /** The proxy process; null for DIRECT, which has none. */
  readonly service: Service | null;
  /** e.g. "mitmproxy 8.1.1"; shown in the notes. */
  readonly version: string;
  stop(): Promise<void>;
}

export interface PeerDefinition {
  readonly name: PeerName;
  /** Column heading. */
  readonly title: string;
  /** Relays h2 from client to upstream; the h2 scenario shows "–" for a peer that cannot. */
  readonly h2: boolean;
  /** Why it cannot run on this machine, or null when it can. */
  missing(): string | null;
  start(env: PeerEnv): Promise<RunningPeer>;
}
