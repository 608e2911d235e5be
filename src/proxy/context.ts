import type { AccessControl } from './access.js';
import type { CertificateStore } from '../certs/store.js';
import type { ClientCertificateRule, Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { HostMatcher } from '../match/matcher.js';
import type { ProxyMetrics } from '../metrics/metrics.js';
import type { CertificateAuthority } from '../tls/ca.js';
import type { LeafContexts } from '../tls/leaf-cache.js';
import type { UpstreamPools } from '../upstream/pools.js';
import type { Routes, UpstreamRoute } from '../upstream/route.js';

/** Everything a connection needs, built once from one config. */
export interface ProxyContext {
  readonly access: AccessControl;
  readonly config: Config;
  readonly matcher: HostMatcher<ClientCertificateRule>;
  readonly store: CertificateStore;
  readonly ca: CertificateAuthority;
  readonly leaves: LeafContexts;
  readonly routes: Routes;
  readonly pools: UpstreamPools;
  readonly logger: Logger;
  /** Process-wide: passed in, so that a context built by a reload keeps counting into it. */
  readonly metrics: ProxyMetrics;
}

/** What the proxy knows about a decrypted client connection: where its CONNECT pointed. */
export interface InterceptedTarget {
  readonly host: string;
  readonly port: number;
  readonly rule: ClientCertificateRule | null;
  /** Decided once per CONNECT: every request inside it goes there. */
  readonly route: UpstreamRoute;
  readonly log: Logger;
}
