import { AccessControl } from './access.js';
import { loadCertificateStore, type CertificateStore } from '../certs/store.js';
import type { ClientCertificateRule, Config } from '../config/types.js';
import type { ActivityFeed } from '../feed/feed.js';
import { allProblemsAtOnce } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { HostMatcher } from '../match/matcher.js';
import type { ProxyMetrics } from '../metrics/metrics.js';
import { loadOrCreateCa, type CertificateAuthority } from '../tls/ca.js';
import { LeafContexts } from '../tls/leaf-cache.js';
import type { UpstreamPools } from '../upstream/pools.js';
import { Routes, type UpstreamRoute } from '../upstream/route.js';
import { UpstreamSecureContexts } from '../upstream/secure-contexts.js';

/** What follows from one config and the files it names; a reload builds these anew. */
export interface ConfigParts {
  readonly access: AccessControl;
  readonly config: Config;
  readonly matcher: HostMatcher<ClientCertificateRule>;
  readonly store: CertificateStore;
  readonly ca: CertificateAuthority;
  readonly leaves: LeafContexts;
  readonly routes: Routes;
  /** Every UpstreamCredentials id the routes can use: pools with another one are of an old config. */
  readonly credentialIds: ReadonlySet<string>;
}

/** A worker's view of the processes it serves beside, when `workers` is above 1. */
export interface ClusterView {
  /** This worker's cluster id, and how many workers serve. */
  readonly worker: number;
  readonly workers: number;
  /** A sentence naming the workers that are down, or null when every one is up. */
  downWorkers(): Promise<string | null>;
  /** Every worker's metrics, aggregated, in Prometheus text format. */
  metrics(): Promise<string>;
}

/** What lives as long as the process, carried unchanged from one context to the next. */
export interface ProcessParts {
  readonly pools: UpstreamPools;
  readonly logger: Logger;
  /** Counts across reloads: the expiry gauge reads the current context when scraped. */
  readonly metrics: ProxyMetrics;
  /** The console's live feed: recent requests and upstream TLS connections, across reloads. */
  readonly feed: ActivityFeed;
  /** log.keylog as read at start: the file is opened and announced once, for both sides. */
  readonly keylogFile: string | undefined;
  /** Set in a cluster worker: /healthz and /metrics answer for every worker. */
  readonly cluster?: ClusterView;
}

/** Everything a connection needs: one config's parts and the process's. */
export interface ProxyContext extends ConfigParts, ProcessParts {}

/**
 * The context new client connections get. A connection reads it once, when it is
 * accepted, and keeps that context for its whole life; a reload replaces `current`.
 */
export interface ContextHolder {
  current: ProxyContext;
}

/** What the proxy knows about a decrypted client connection: where its CONNECT pointed. */
export interface InterceptedTarget {
  readonly host: string;
  readonly port: number;
  readonly rule: ClientCertificateRule | null;
  /** Decided once per CONNECT: every request inside it goes there. */
  readonly route: UpstreamRoute;
  readonly log: Logger;
  /** The context of the client connection that sent the CONNECT. */
  readonly ctx: ProxyContext;
}

function sameCa(a: CertificateAuthority, b: CertificateAuthority): boolean {
  return a.certPem === b.certPem && a.chainPem === b.chainPem && a.key.equals(b.key);
}

function warmedLeaves(ca: CertificateAuthority): LeafContexts {
  const leaves = new LeafContexts(ca);
  leaves.warmUp();
  return leaves;
}

/** The certificates a config names and the CA (created when missing), with the problems of both at once as ConfigErrors. */
export async function loadCertificates(config: Config): Promise<Pick<ConfigParts, 'config' | 'store' | 'ca'>> {
  const [store, ca] = await allProblemsAtOnce(loadCertificateStore(config), loadOrCreateCa(config.ca, config.file));
  return { config, store, ca };
}

/**
 * Loads every certificate and the CA, reporting the problems of both at once as
 * ConfigErrors. The minted leaves of `previous` are kept when the CA is the same.
 */
export async function loadConfigParts(config: Config, previous?: Pick<ConfigParts, 'ca' | 'leaves'>): Promise<ConfigParts> {
  const { store, ca: loadedCa } = await loadCertificates(config);
  const kept = previous !== undefined && sameCa(previous.ca, loadedCa) ? previous : null;
  // The same CA, not a newly created one: `created` describes this load.
  const ca = kept ? { ...kept.ca, created: loadedCa.created } : loadedCa;
  const leaves = kept?.leaves ?? warmedLeaves(ca);
  const credentials = new UpstreamSecureContexts(config, store);
  return {
    config,
    access: new AccessControl(config.listen),
    store,
    ca,
    matcher: new HostMatcher(config.clientCertificates),
    leaves,
    routes: new Routes(config, credentials),
    credentialIds: credentials.ids(),
  };
}
