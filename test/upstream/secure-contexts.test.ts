import { describe, expect, it } from 'vitest';
import type { CertificateStore } from '../../src/certs/store.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { UpstreamSecureContexts } from '../../src/upstream/secure-contexts.js';
import { makeCa, makeClientCert, type TestCert } from '../helpers/pki.js';

const clientCa = makeCa('secure-contexts client CA');
const people: Record<string, TestCert> = { alice: makeClientCert(clientCa, 'alice'), bob: makeClientCert(clientCa, 'bob') };

/** One rule for api.example.com; `extra` goes under it. */
const configWith = (extra = ''): Config =>
  parseConfig(`clientCertificates:\n  - host: api.example.com\n    cert: c.crt\n    key: c.key\n${extra}`, '/etc/mtls-proxy/config.yaml', {});

/** The rule's identity is `who`'s, read from memory rather than files. */
const storeOf = (who: string): CertificateStore =>
  ({
    identity: () => ({ certChainPem: people[who]!.certPem, keyPem: people[who]!.keyPem }),
    upstreamCa: [],
    ruleCa: () => [],
    warnings: [],
  }) as unknown as CertificateStore;

const credentialsOf = (config: Config, who: string) => new UpstreamSecureContexts(config, storeOf(who)).get(0);

describe('UpstreamSecureContexts', () => {
  it('hands a config loaded again the SecureContext already built for the same identity and trust', () => {
    const first = credentialsOf(configWith(), 'alice');
    const again = credentialsOf(configWith(), 'alice');
    expect(again).not.toBe(first);
    expect(again.id).toBe(first.id);
    expect(again.secureContext()).toBe(first.secureContext());
  });

  it('keeps its own trust words when it shares a context: verify is decided per connection, not in the context', () => {
    const verified = credentialsOf(configWith(), 'alice');
    const unverified = credentialsOf(configWith('    verify: false\n'), 'alice');
    expect(unverified.secureContext()).toBe(verified.secureContext());
    expect(unverified.trust).toBe('verification off (clientCertificates[0].verify: false)');
    expect(verified.trust).toBe('system roots');
  });

  it('builds another context for another identity, or the same one under another minVersion', () => {
    const alice = credentialsOf(configWith(), 'alice');
    const bob = credentialsOf(configWith(), 'bob');
    const strict = credentialsOf(configWith('    minVersion: TLSv1.3\n'), 'alice');
    expect(bob.secureContext()).not.toBe(alice.secureContext());
    expect(strict.secureContext()).not.toBe(alice.secureContext());
  });
});
