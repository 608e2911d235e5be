import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates, type SecureContext } from 'node:tls';
import type { CertificateStore } from '../certs/store.js';
import type { Config } from '../config/types.js';
import { secureContextFor } from './alive-contexts.js';
import { describeTrust } from './trust.js';

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

/** What the proxy presents and trusts on one upstream TLS connection. */
export interface UpstreamCredentials {
  /**
   * A digest of the client identity (chain and key) and the trusted certificates:
   * equal ids are interchangeable, so a reload that leaves them alone keeps their pools.
   */
  readonly id: string;
  /** Which CA set verifies the server, in words (describeTrust). */
  readonly trust: string;
  /**
   * Built on first use (about a millisecond of CPU, so never per connection), or the
   * one of an equal id still in memory: a reload that changes nothing builds none.
   */
  secureContext(): SecureContext;
}

const NO_IDENTITY = -1;

/** The credentials of every rule's identity (and of none) under one config's trust settings. */
export class UpstreamSecureContexts {
  readonly #credentials = new Map<number, UpstreamCredentials>();

  constructor(config: Config, store: CertificateStore) {
    const { upstream } = config;
    const systemRoots = upstream.systemCA ? defaultRoots(process.env) : [];
    for (const rule of [null, ...config.clientCertificates]) {
      const ruleIndex = rule?.index ?? NO_IDENTITY;
      const extra = [...store.upstreamCa, ...(ruleIndex === NO_IDENTITY ? [] : store.ruleCa(ruleIndex))];
      // Node's `ca` option replaces the default roots rather than adding to them.
      const ca = upstream.systemCA ? (extra.length > 0 ? [...systemRoots, ...extra] : undefined) : extra;
      const identity = ruleIndex === NO_IDENTITY ? undefined : store.identity(ruleIndex);
      const minVersion = rule?.minVersion;
      const digest = createHash('sha256').update(upstream.systemCA ? 'system' : 'listed').update(minVersion ?? '');
      for (const pem of [identity?.certChainPem ?? '', identity?.keyPem ?? '', ...extra]) digest.update('\0').update(pem);
      const id = digest.digest('base64url');
      let context: SecureContext | undefined;
      this.#credentials.set(ruleIndex, {
        id,
        trust: describeTrust(config, rule),
        secureContext: () =>
          (context ??= secureContextFor(id, () => ({
            ...(ca ? { ca } : {}),
            ...(identity ? { cert: identity.certChainPem, key: identity.keyPem } : {}),
            ...(minVersion ? { minVersion } : {}),
          }))),
      });
    }
  }

  /** The credentials for a rule's identity, or for no client certificate (null). */
  get(ruleIndex: number | null): UpstreamCredentials {
    return this.#credentials.get(ruleIndex ?? NO_IDENTITY)!;
  }

  /** Every id this config can use. */
  ids(): Set<string> {
    return new Set([...this.#credentials.values()].map((c) => c.id));
  }
}
