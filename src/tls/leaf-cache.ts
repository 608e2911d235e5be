/** The downstream TLS contexts the proxy terminates client connections with, one per host. */
import tls from 'node:tls';
import { LRUCache } from 'lru-cache';
import type { CertificateAuthority } from './ca.js';
import { createLeafKey, mintLeaf, type LeafKey } from './leaf.js';

const DEFAULT_MAX_CONTEXTS = 1000;
/** Re-minted well before the leaf's 397 days run out, so a long-running proxy never serves an expired one. */
const CONTEXT_TTL_MS = 30 * 86_400_000;

export class LeafContexts {
  readonly #contexts: LRUCache<string, tls.SecureContext>;

  constructor(ca: CertificateAuthority, options: { max?: number; leafKey?: LeafKey } = {}) {
    const leafKey = options.leafKey ?? createLeafKey();
    this.#contexts = new LRUCache<string, tls.SecureContext>({
      max: options.max ?? DEFAULT_MAX_CONTEXTS,
      ttl: CONTEXT_TTL_MS,
      // A leaf and its context take 1-2 ms, cheap enough to make synchronously in an SNI callback.
      memoMethod: (host) => tls.createSecureContext({ cert: mintLeaf(ca, host, leafKey), key: leafKey.privateKeyPem }),
    });
  }

  /** `host` must be canonical (see canonicalHost), so that one host never gets two leaves. */
  secureContext(host: string): tls.SecureContext {
    return this.#contexts.memo(host);
  }
}
