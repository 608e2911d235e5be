import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { ConfigErrors } from '../../src/errors.js';
import { configProblems } from './helpers.js';

const FILE = '/etc/mtls-proxy/config.yaml';
const SECRET = 'correct-horse-battery';

// The cases write values of the wrong type on purpose, so the config they edit is untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Draft = Record<string, any>;

/** One config that uses every key; each case below breaks one thing in it. */
function goodConfig(): Draft {
  return {
    listen: { host: '127.0.0.1', port: 8080 },
    ca: { dir: './ca' },
    intercept: 'matched',
    upstream: {
      verify: true,
      ca: ['./certs/internal-root.pem'],
      systemCA: true,
      proxy: 'http://corp-proxy:3128',
      noProxy: ['internal.example.com', '10.0.0.0/8'],
      resolve: { 'api.staging.example.com': '10.1.2.3', 'api.example.com:443': '127.0.0.1:9443' },
    },
    clientCertificates: [
      { host: '*.example.com', port: 443, cert: './certs/client.crt', key: './certs/client.key', passphrase: SECRET },
      {
        host: 'partner.example.org',
        pfx: './certs/partner.p12',
        passphraseFile: '/run/secrets/partner_pass',
        ca: './certs/partner-root.pem',
        verify: false,
      },
    ],
    log: { level: 'info', format: 'json' },
    warnExpiryDays: 30,
    timeouts: { connect: 10, handshake: 10, response: 60, idle: 60 },
    limits: { maxConnections: 10000 },
    workers: 2,
  };
}

function parseChanged(change: (config: Draft) => void) {
  const config = goodConfig();
  change(config);
  return parseConfig(stringify(config), FILE, {});
}

interface Case {
  readonly name: string;
  readonly change: (config: Draft) => void;
  readonly path: string;
  readonly reason: string | RegExp;
}

const cases: Case[] = [
  // unknown keys, with the nearest valid key at that level
  { name: 'misspelled top-level key', change: (c) => ((c.lisen = c.listen), delete c.listen), path: 'lisen', reason: 'unknown key "lisen"; did you mean "listen"?' },
  { name: 'misspelled nested key', change: (c) => (c.listen.hots = 'x'), path: 'listen.hots', reason: 'unknown key "hots"; did you mean "host"?' },
  { name: 'key in the wrong case', change: (c) => (c.clientCertificates[0].Cert = 'x'), path: 'clientCertificates[0].Cert', reason: 'unknown key "Cert"; did you mean "cert"?' },
  { name: 'unknown key with no near match', change: (c) => (c.upstream.timeout = 5), path: 'upstream.timeout', reason: /^unknown key "timeout"; expected verify, ca, systemCA, proxy, noProxy or resolve$/ },

  // listen
  { name: 'section that is not a mapping', change: (c) => (c.listen = 8080), path: 'listen', reason: 'must be a mapping of keys, not a number' },
  { name: 'port above 65535', change: (c) => (c.listen.port = 70000), path: 'listen.port', reason: 'must be at most 65535' },
  { name: 'negative port', change: (c) => (c.listen.port = -1), path: 'listen.port', reason: 'must be at least 0' },
  { name: 'quoted port', change: (c) => (c.listen.port = '8080'), path: 'listen.port', reason: 'must be a number, not a string' },
  { name: 'fractional port', change: (c) => (c.listen.port = 80.5), path: 'listen.port', reason: 'must be a whole number' },
  { name: 'listen host that is no host', change: (c) => (c.listen.host = 'my host'), path: 'listen.host', reason: /invalid host "my host": it contains a space/i },
  { name: 'non-loopback listen without auth or allow', change: (c) => (c.listen.host = '0.0.0.0'), path: 'listen.host', reason: /"0\.0\.0\.0" is not a loopback address.*set listen\.auth or listen\.allow/ },
  { name: 'host name listen without auth or allow', change: (c) => (c.listen.host = 'proxy.lan'), path: 'listen.host', reason: /not a loopback address/ },
  { name: 'allow entry that is no range', change: (c) => ((c.listen.host = '0.0.0.0'), (c.listen.allow = ['10.0.0.0/8', '10.0.0.0/33'])), path: 'listen.allow[1]', reason: '"10.0.0.0/33" is not an address range such as 10.0.0.0/8 or fd00::/8' },
  { name: 'empty allow list', change: (c) => ((c.listen.host = '0.0.0.0'), (c.listen.allow = [])), path: 'listen.allow', reason: 'must not be empty' },
  { name: 'auth without password', change: (c) => (c.listen.auth = { username: 'me' }), path: 'listen.auth.password', reason: 'is required' },
  { name: 'auth username with a colon', change: (c) => (c.listen.auth = { username: 'me:you', password: SECRET }), path: 'listen.auth.username', reason: /must not contain ":"/ },

  // ca
  { name: 'CA cert without key', change: (c) => (c.ca.cert = './my-ca.crt'), path: 'ca.key', reason: 'is missing; cert and key go together' },
  { name: 'CA key without cert', change: (c) => (c.ca.key = './my-ca.key'), path: 'ca.cert', reason: 'is missing; cert and key go together' },
  { name: 'CA passphrase without cert and key', change: (c) => (c.ca.passphrase = SECRET), path: 'ca.passphrase', reason: /only used with a CA you bring yourself/ },
  { name: 'empty CA dir', change: (c) => (c.ca.dir = ''), path: 'ca.dir', reason: 'must not be empty' },

  // intercept
  { name: 'unknown intercept mode', change: (c) => (c.intercept = 'some'), path: 'intercept', reason: 'must be "matched" or "all"' },

  // upstream
  { name: 'verify as a word', change: (c) => (c.upstream.verify = 'yes'), path: 'upstream.verify', reason: 'must be true or false, not a string' },
  { name: 'upstream ca as a number', change: (c) => (c.upstream.ca = 5), path: 'upstream.ca', reason: 'must be a file path or a list of file paths' },
  { name: 'empty path in upstream ca', change: (c) => (c.upstream.ca = ['a.pem', '']), path: 'upstream.ca[1]', reason: 'must not be empty' },
  { name: 'https upstream proxy', change: (c) => (c.upstream.proxy = 'https://corp-proxy:3128'), path: 'upstream.proxy', reason: 'must be an http:// URL, not https://' },
  { name: 'upstream proxy without scheme', change: (c) => (c.upstream.proxy = 'corp-proxy:3128'), path: 'upstream.proxy', reason: /must be a URL such as http:\/\// },
  { name: 'upstream proxy with a path', change: (c) => (c.upstream.proxy = 'http://corp-proxy:3128/proxy'), path: 'upstream.proxy', reason: /without a path/ },
  { name: 'noProxy entry that is no host', change: (c) => (c.upstream.noProxy = ['ok.example.com', 'bad host']), path: 'upstream.noProxy[1]', reason: /"bad host"/ },
  { name: 'noProxy range that is no range', change: (c) => (c.upstream.noProxy = ['10.0.0.0/99']), path: 'upstream.noProxy[0]', reason: /not an address range/ },
  { name: 'resolve key that is no host', change: (c) => (c.upstream.resolve = { 'bad host': '10.0.0.1' }), path: 'upstream.resolve["bad host"]', reason: /"bad host"/ },
  { name: 'resolve key with a bad port', change: (c) => (c.upstream.resolve = { 'a.example.com:99999': '10.0.0.1' }), path: 'upstream.resolve["a.example.com:99999"]', reason: /port "99999"/ },
  { name: 'resolve target that is a name', change: (c) => (c.upstream.resolve = { 'a.example.com': 'localhost' }), path: 'upstream.resolve["a.example.com"]', reason: /"localhost" is not an IP address/ },
  { name: 'resolve target port for a key without one', change: (c) => (c.upstream.resolve = { 'a.example.com': '10.0.0.1:8443' }), path: 'upstream.resolve["a.example.com"]', reason: 'names a port, so its key must be host:port too' },
  { name: 'resolve keys that are one host', change: (c) => (c.upstream.resolve = { 'A.example.com': '10.0.0.1', 'a.example.com.': '10.0.0.2' }), path: 'upstream.resolve["a.example.com."]', reason: 'names the same host as "A.example.com"' },
  { name: 'resolve target as a number', change: (c) => (c.upstream.resolve = { 'a.example.com': 5 }), path: 'upstream.resolve["a.example.com"]', reason: /must be a string, not a number/ },

  // clientCertificates
  { name: 'rules as a mapping', change: (c) => (c.clientCertificates = { host: 'x' }), path: 'clientCertificates', reason: 'must be a list, not a mapping of keys' },
  { name: 'rule without host', change: (c) => delete c.clientCertificates[1].host, path: 'clientCertificates[1].host', reason: 'is required' },
  { name: 'host pattern with a protocol', change: (c) => (c.clientCertificates[0].host = 'https://api.example.com'), path: 'clientCertificates[0].host', reason: /protocol/ },
  { name: 'host pattern with a port', change: (c) => (c.clientCertificates[0].host = 'api.example.com:8443'), path: 'clientCertificates[0].host', reason: /port/ },
  { name: 'port 0 in a rule', change: (c) => (c.clientCertificates[0].port = 0), path: 'clientCertificates[0].port', reason: 'must be at least 1' },
  { name: 'port as a word', change: (c) => (c.clientCertificates[0].port = 'any'), path: 'clientCertificates[0].port', reason: 'must be a port number, a list of port numbers, or "*"' },
  { name: 'empty port list', change: (c) => (c.clientCertificates[0].port = []), path: 'clientCertificates[0].port', reason: 'must not be empty' },
  { name: 'bad port in a list', change: (c) => (c.clientCertificates[0].port = [443, 70000]), path: 'clientCertificates[0].port[1]', reason: 'must be at most 65535' },
  { name: 'cert without key', change: (c) => delete c.clientCertificates[0].key, path: 'clientCertificates[0].key', reason: 'is missing; cert and key go together (or use pfx instead)' },
  { name: 'key without cert', change: (c) => delete c.clientCertificates[0].cert, path: 'clientCertificates[0].cert', reason: 'is missing; cert and key go together (or use pfx instead)' },
  { name: 'pfx with cert and key', change: (c) => (c.clientCertificates[0].pfx = './client.p12'), path: 'clientCertificates[0].pfx', reason: 'cannot be combined with cert and key; use either cert and key, or pfx' },
  { name: 'pfx with key', change: (c) => (c.clientCertificates[1].key = './k.pem'), path: 'clientCertificates[1].pfx', reason: /cannot be combined with key;/ },
  { name: 'rule without certificate', change: (c) => delete c.clientCertificates[1].pfx, path: 'clientCertificates[1]', reason: 'has no certificate: set cert and key, or pfx' },
  { name: 'passphrase and passphraseFile', change: (c) => (c.clientCertificates[1].passphrase = SECRET), path: 'clientCertificates[1].passphraseFile', reason: 'cannot be combined with passphrase; use one of them' },
  { name: 'rule ca of numbers', change: (c) => (c.clientCertificates[1].ca = [1]), path: 'clientCertificates[1].ca', reason: 'must be a file path or a list of file paths' },
  { name: 'rule verify as a word', change: (c) => (c.clientCertificates[1].verify = 'no'), path: 'clientCertificates[1].verify', reason: 'must be true or false, not a string' },

  // log, warnExpiryDays, timeouts, limits
  { name: 'unknown log level', change: (c) => (c.log.level = 'verbose'), path: 'log.level', reason: 'must be "trace", "debug", "info", "warn" or "error"' },
  { name: 'unknown log format', change: (c) => (c.log.format = 'text'), path: 'log.format', reason: 'must be "json" or "pretty"' },
  { name: 'negative warnExpiryDays', change: (c) => (c.warnExpiryDays = -1), path: 'warnExpiryDays', reason: 'must be at least 0' },
  { name: 'zero timeout', change: (c) => (c.timeouts.connect = 0), path: 'timeouts.connect', reason: 'must be greater than 0' },
  { name: 'timeout as text', change: (c) => (c.timeouts.idle = '60s'), path: 'timeouts.idle', reason: 'must be a number, not a string' },
  { name: 'no connections allowed', change: (c) => (c.limits.maxConnections = 0), path: 'limits.maxConnections', reason: 'must be at least 1' },

  // workers
  { name: 'no workers', change: (c) => (c.workers = 0), path: 'workers', reason: 'must be at least 1' },
  { name: 'fractional workers', change: (c) => (c.workers = 1.5), path: 'workers', reason: 'must be a whole number from 1 up, or auto' },
  { name: 'workers as another word', change: (c) => (c.workers = 'all'), path: 'workers', reason: 'must be a whole number from 1 up, or auto' },
];

describe('config validation', () => {
  it('accepts the good config every case starts from', () => {
    const config = parseChanged(() => {});
    expect(config.clientCertificates).toHaveLength(2);
    expect(config.upstream.proxy).toBe('http://corp-proxy:3128');
  });

  it('takes workers as a number, or auto for one per core', () => {
    expect(parseChanged(() => {}).workers).toBe(2);
    expect(parseChanged((c) => (c.workers = 'auto')).workers).toBe(availableParallelism());
    expect(parseChanged((c) => delete c.workers).workers).toBe(1);
  });

  it.each(cases)('$name: $path', ({ change, path, reason }) => {
    const [problem, ...others] = configProblems(() => parseChanged(change));
    expect(others).toEqual([]);
    expect(problem!.file).toBe(FILE);
    expect(problem!.path).toBe(path);
    if (typeof reason === 'string') expect(problem!.reason).toBe(reason);
    else expect(problem!.reason).toMatch(reason);
    expect(problem!.message).toBe(`${FILE}: ${path === '' ? '' : `${path}: `}${problem!.reason}`);
    expect(problem!.code).toBe('ERR_CONFIG_INVALID');
  });

  it('collects every problem in one ConfigErrors', () => {
    let thrown: unknown;
    try {
      parseChanged((c) => {
        c.listen.port = 70000;
        c.intercept = 'some';
        delete c.clientCertificates[0].key;
        c.upstream.resolve = { 'a.example.com': 'localhost' };
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigErrors);
    expect((thrown as ConfigErrors).errors.map((e) => e.path)).toEqual([
      'listen.port',
      'intercept',
      'upstream.resolve["a.example.com"]',
      'clientCertificates[0].key',
    ]);
  });

  it('reports one error per unknown key in the same mapping', () => {
    const problems = configProblems(() => parseChanged((c) => Object.assign(c.listen, { prot: 1, hots: 'x' })));
    expect(problems.map((p) => [p.path, p.reason])).toEqual([
      ['listen.prot', 'unknown key "prot"; did you mean "port"?'],
      ['listen.hots', 'unknown key "hots"; did you mean "host"?'],
    ]);
  });

  it('reports a YAML syntax error with its line and column', () => {
    const [problem, ...others] = configProblems(() => parseConfig('listen:\n  host: x\n port: 1\n', FILE, {}));
    expect(others).toEqual([]);
    expect(problem!.path).toBe('');
    expect(problem!.reason).toMatch(/^invalid YAML at line 3, column 1: All mapping items must start at the same column/);
  });

  it('reports a duplicate key as a YAML error', () => {
    const [problem] = configProblems(() => parseConfig('intercept: all\nintercept: matched\n', FILE, {}));
    expect(problem!.reason).toMatch(/^invalid YAML at line 2, column 1: .*unique/);
  });

  it('reports an alias to a missing anchor', () => {
    const [problem] = configProblems(() => parseConfig('intercept: *mode\n', FILE, {}));
    expect(problem!.reason).toMatch(/^invalid YAML: .*alias/i);
  });

  it('wants a mapping at the top', () => {
    const [problem] = configProblems(() => parseConfig('- listen\n', FILE, {}));
    expect([problem!.path, problem!.reason]).toEqual(['', 'must be a mapping of keys, not a list']);
  });

  it.each([
    ['a rule passphrase', (c: Draft) => (c.clientCertificates[0].passphrase = 9876543210)],
    ['the CA passphrase', (c: Draft) => Object.assign(c.ca, { cert: 'a', key: 'b', passphrase: 9876543210 })],
    ['the proxy password', (c: Draft) => (c.listen.auth = { username: 'me', password: 9876543210 })],
  ])('never repeats %s in a message', (_name, change) => {
    const [problem] = configProblems(() => parseChanged(change));
    expect(problem!.reason).toBe('must be a string, not a number (put it in quotes)');
    expect(problem!.message).not.toContain('9876543210');
  });

  it('never repeats upstream proxy credentials in a message', () => {
    const [problem] = configProblems(() => parseChanged((c) => (c.upstream.proxy = `socks5://me:${SECRET}@corp:1080`)));
    expect(problem!.path).toBe('upstream.proxy');
    expect(problem!.message).not.toContain(SECRET);
  });
});
