/** The downstream TLS contexts the proxy terminates client connections with, one per host. */
import tls from 'node:tls';
import { LRUCache } from 'lru-cache';
import type { CertificateAuthority } from './ca.js';
import { createLeafKey, mintLeaf, type LeafKey } from './leaf.js';

const DEFAULT_MAX_CONTEXTS = 1000;
/** Re-minted well before the leaf's 397 days run out, so a long-running proxy never serves an expired one. */
const CONTEXT_TTL_MS = 30 * 86_400_000;
/** RFC 2606 reserves .invalid: no client can ask for it. */
const WARM_UP_HOST = 'warm-up.invalid';
const WARM_UP_MINTS = 3;

export type ContextCallback = (err: Error | null, context: tls.SecureContext | null) => void;

export class LeafContexts {
  readonly #contexts: LRUCache<string, tls.SecureContext>;
  readonly #waiting: Array<{ host: string; callback: ContextCallback; wanted: () => boolean }> = [];
  #draining = false;

  readonly #ca: CertificateAuthority;
  readonly #leafKey: LeafKey;

  constructor(ca: CertificateAuthority, options: { max?: number; leafKey?: LeafKey } = {}) {
    this.#ca = ca;
    this.#leafKey = options.leafKey ?? createLeafKey();
    this.#contexts = new LRUCache<string, tls.SecureContext>({
      max: options.max ?? DEFAULT_MAX_CONTEXTS,
      ttl: CONTEXT_TTL_MS,
      // A leaf and its context take about a millisecond: made on the event loop, one host a turn.
      memoMethod: (host) => this.#build(host),
    });
  }

  /**
   * Mints and drops a few leaves for a name no client can ask for, so that the first
   * hosts clients do ask for are not the ones that pay for compiling the minting code:
   * the first mints of a process took 2-6 ms each, later ones 0.4.
   */
  warmUp(): void {
    for (let i = 0; i < WARM_UP_MINTS; i++) this.#build(WARM_UP_HOST);
  }

  #build(host: string): tls.SecureContext {
    return tls.createSecureContext({ cert: mintLeaf(this.#ca, host, this.#leafKey) + this.#ca.chainPem, key: this.#leafKey.privateKeyPem });
  }

  /** `host` must be canonical (see canonicalHost), so that one host never gets two leaves. */
  secureContext(host: string): tls.SecureContext {
    return this.#contexts.memo(host);
  }

  /**
   * The context at once when cached; otherwise minted on a later turn of the event
   * loop, one host a turn. A burst of new hosts then lets the I/O of connections to
   * known hosts run between mints instead of waiting for all of them. A host
   * whose `wanted()` is false by its turn (its client left) is dropped unminted,
   * its callback never called.
   */
  secureContextSoon(host: string, callback: ContextCallback, wanted: () => boolean = () => true): void {
    const cached = this.#contexts.get(host);
    if (cached) return callback(null, cached);
    this.#waiting.push({ host, callback, wanted });
    if (!this.#draining) {
      this.#draining = true;
      setImmediate(this.#mintNext);
    }
  }

  /** Hosts waiting for a mint, for tests and metrics. */
  get pending(): number {
    return this.#waiting.length;
  }

  /** Leaves held in the cache (at most `max`). */
  get size(): number {
    return this.#contexts.size;
  }

  readonly #mintNext = (): void => {
    // A client that left while its host waited costs no mint: a burst of clients
    // that connect and go leaves nothing behind but entries skipped in one turn.
    let next = this.#waiting.shift();
    while (next && !next.wanted()) next = this.#waiting.shift();
    if (next) this.#deliver(next.host, next.callback);
    if (this.#waiting.length > 0) setImmediate(this.#mintNext);
    else this.#draining = false;
  };

  #deliver(host: string, callback: ContextCallback): void {
    let context: tls.SecureContext;
    try {
      context = this.secureContext(host);
    } catch (err) {
      callback(err as Error, null);
      return;
    }
    callback(null, context);
  }
}
