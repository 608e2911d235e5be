import { describe, expect, it } from 'vitest';
import type { ClientCertificateRule, Config } from '../../src/config/types.js';
import { describeTcpTarget } from '../../src/upstream/dial.js';
import { describeTrust } from '../../src/upstream/trust.js';

/** One good config; each case changes one field. */
function config(upstream: Partial<Config['upstream']> = {}): Config {
  return { upstream: { verify: true, ca: [], systemCA: true, noProxy: [], resolve: {}, ...upstream } } as unknown as Config;
}

function rule(fields: Partial<ClientCertificateRule> = {}): ClientCertificateRule {
  return { index: 1, host: 'api.example.com', ports: [443], ca: [], ...fields };
}

describe('describeTrust', () => {
  it('names the system roots alone by default', () => {
    expect(describeTrust(config(), null)).toBe('system roots');
  });

  it("adds upstream.ca and the rule's own ca", () => {
    expect(describeTrust(config({ ca: ['/a.pem'] }), null)).toBe('system roots + upstream.ca');
    expect(describeTrust(config({ ca: ['/a.pem'] }), rule({ ca: ['/b.pem'] }))).toBe('system roots + clientCertificates[1].ca + upstream.ca');
  });

  it('says when the system roots are left out', () => {
    expect(describeTrust(config({ systemCA: false, ca: ['/a.pem'] }), null)).toBe('upstream.ca only (systemCA: false)');
    expect(describeTrust(config({ systemCA: false, ca: ['/a.pem'] }), rule({ ca: ['/b.pem'] }))).toBe('clientCertificates[1].ca + upstream.ca only (systemCA: false)');
    expect(describeTrust(config({ systemCA: false }), null)).toBe('no CA at all (systemCA: false and no upstream.ca)');
  });

  it('says verification is off, globally or for the rule, and that a rule can turn it back on', () => {
    expect(describeTrust(config({ verify: false }), null)).toBe('verification off');
    expect(describeTrust(config(), rule({ verify: false }))).toBe('verification off');
    expect(describeTrust(config({ verify: false }), rule({ verify: true }))).toBe('system roots');
  });
});

describe('describeTcpTarget', () => {
  it('gives the dialled address, and the upstream proxy without its credentials', () => {
    expect(describeTcpTarget({ address: '127.0.0.1', port: 9443, via: null })).toEqual({ address: '127.0.0.1:9443' });
    expect(describeTcpTarget({ address: '::1', port: 443, via: new URL('http://me:secret@corp-proxy:3128') })).toEqual({ address: '[::1]:443', via: 'corp-proxy:3128' });
    expect(describeTcpTarget({ address: 'a.example.com', port: 443, via: new URL('http://corp-proxy') })).toEqual({ address: 'a.example.com:443', via: 'corp-proxy:80' });
  });
});
