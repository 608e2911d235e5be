import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { CertificateStore } from '../certs/store.js';
import type { Config } from '../config/types.js';

/**
 * Node's default roots as a `ca` list: the bundled ones plus NODE_EXTRA_CA_CERTS,
 * which Node trusts by default but leaves out of tls.rootCertificates.
 */
function defaultRoots(env: NodeJS.ProcessEnv): string[] {
  const extraFile = env.NODE_EXTRA_CA_CERTS;
  if (!extraFile) return [...rootCertificates];
  try {
    return [...rootCertificates, readFileSync(extraFile, 'utf8')];
  } catch {
    // Node has already warned at start that it ignores the file.
    return [...rootCertificates];
  }
}

/**
 * One SecureContext per client identity and trust set, built on first use:
 * building one costs about a millisecond of CPU, so never per connection.
 */
export class UpstreamSecureContexts {
  readonly #contexts = new Map<number, SecureContext>();
  readonly #config: Config;
  readonly #store: CertificateStore;
  readonly #systemRoots: readonly string[];

  constructor(config: Config, store: CertificateStore) {
    this.#config = config;
    this.#store = store;
    this.#systemRoots = config.upstream.systemCA ? defaultRoots(process.env) : [];
  }

  /** The context for a rule's identity, or for no client certificate (-1). */
  get(ruleIndex: number): SecureContext {
    let context = this.#contexts.get(ruleIndex);
    if (!context) {
      context = this.#build(ruleIndex);
      this.#contexts.set(ruleIndex, context);
    }
    return context;
  }

  #build(ruleIndex: number): SecureContext {
    const { upstream } = this.#config;
    const extra = [...this.#store.upstreamCa, ...(ruleIndex >= 0 ? this.#store.ruleCa(ruleIndex) : [])];
    // Node's `ca` option replaces the default roots rather than adding to them.
    const ca = upstream.systemCA ? (extra.length > 0 ? [...this.#systemRoots, ...extra] : undefined) : extra;
    const identity = ruleIndex >= 0 ? this.#store.identity(ruleIndex) : undefined;
    const minVersion = ruleIndex >= 0 ? this.#config.clientCertificates[ruleIndex]?.minVersion : undefined;
    return createSecureContext({
      ...(ca ? { ca } : {}),
      ...(identity ? { cert: identity.certChainPem, key: identity.keyPem } : {}),
      ...(minVersion ? { minVersion } : {}),
    });
  }
}
