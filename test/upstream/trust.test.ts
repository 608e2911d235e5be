import { describe, expect, it } from 'vitest';
import type { ClientCertificateRule, Config } from '../../src/config/types.js';
import { describeTrust } from '../../src/upstream/trust.js';

function config(upstream: Partial<Config['upstream']>): Config {
  return {
    file: null,
    listen: { host: '127.0.0.1', port: 8080 },
    ca: { dir: '/tmp/ca' },
    intercept: 'matched',
    upstream: { verify: true, ca: [], systemCA: true, noProxy: [], resolve: {}, ...upstream },
    clientCertificates: [],
    log: { level: 'info', format: 'json' },
    warnExpiryDays: 30,
    timeouts: { connect: 10, handshake: 10, response: 60, idle: 60 },
    limits: { maxConnections: 10000 },
    workers: 1,
  };
}

function rule(fields: Partial<ClientCertificateRule>): ClientCertificateRule {
  return { index: 1, host: 'api.example.com', ports: [443], ca: [], ...fields };
}

describe('describeTrust', () => {
  it.each<[string, Partial<Config['upstream']>, ClientCertificateRule | null, string]>([
    ['the defaults', {}, null, 'system roots'],
    ['upstream.ca added to the roots', { ca: ['/a.pem'] }, null, 'system roots + upstream.ca (1 file)'],
    ['a rule with its own ca', { ca: ['/a.pem', '/b.pem'] }, rule({ ca: ['/c.pem'] }), 'system roots + upstream.ca (2 files) + clientCertificates[1].ca (1 file)'],
    ['systemCA: false', { systemCA: false, ca: ['/a.pem'] }, rule({ ca: ['/c.pem'] }), 'upstream.ca (1 file) + clientCertificates[1].ca (1 file)'],
    ['systemCA: false and no ca files', { systemCA: false }, null, 'no certificate at all (upstream.systemCA: false and no ca files), so every server fails verification'],
    ['upstream.verify: false', { verify: false }, rule({}), 'verification off (upstream.verify: false)'],
    ['a rule turning verification off', {}, rule({ verify: false }), 'verification off (clientCertificates[1].verify: false)'],
    ['a rule turning verification back on', { verify: false }, rule({ verify: true }), 'system roots'],
  ])('%s', (_name, upstream, forRule, expected) => {
    expect(describeTrust(config(upstream), forRule)).toBe(expected);
  });
});
