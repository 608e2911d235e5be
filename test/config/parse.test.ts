import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { configProblems } from './helpers.js';

const FILE = '/etc/mtls-proxy/config.yaml';
const PFX_RULE = 'clientCertificates:\n  - { host: a.example.com, pfx: a.p12 }\n';

describe('defaults', () => {
  const expected = (baseDir: string, file: string | null): Config => ({
    file,
    listen: { host: '127.0.0.1', port: 8080 },
    ca: { dir: path.join(baseDir, 'ca') },
    intercept: 'matched',
    upstream: { verify: true, ca: [], systemCA: true, noProxy: [], resolve: {} },
    clientCertificates: [],
    log: { level: 'info', format: 'json' },
    warnExpiryDays: 30,
    timeouts: { connect: 10, handshake: 10, response: 60, idle: 60 },
    limits: { maxConnections: 10000 },
    workers: 1,
  });

  it('are the contract example values without a file, relative to the working folder', () => {
    expect(parseConfig('', null, {})).toEqual(expected(process.cwd(), null));
  });

  it('fill an empty file, relative to its folder', () => {
    expect(parseConfig('# nothing yet\n', FILE, {})).toEqual(expected('/etc/mtls-proxy', FILE));
  });

  it('fill sections left empty when every line under them is commented out', () => {
    const text = 'listen:\n  # host: 0.0.0.0\nupstream:\nclientCertificates:\nlog:\n';
    expect(parseConfig(text, FILE, {})).toEqual(expected('/etc/mtls-proxy', FILE));
  });

  it('fill each missing key next to the ones given', () => {
    const config = parseConfig('listen: { port: 0 }\ntimeouts: { connect: 2.5 }\nlog: { format: pretty }\n', FILE, {});
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.timeouts).toEqual({ connect: 2.5, handshake: 10, response: 60, idle: 60 });
    expect(config.log).toEqual({ level: 'info', format: 'pretty' });
  });

  it('give a rule port 443, no ca and no verify override', () => {
    const [rule] = parseConfig(PFX_RULE, FILE, {}).clientCertificates;
    expect(rule).toEqual({ index: 0, host: 'a.example.com', ports: [443], pfx: '/etc/mtls-proxy/a.p12', ca: [] });
  });
});

describe('client certificate rules', () => {
  it('keep the host pattern as written, number rules, and normalise port and ca to lists', () => {
    const text = [
      'clientCertificates:',
      '  - { host: "*.Example.COM", port: 8443, cert: c.pem, key: k.pem, ca: root.pem, verify: false }',
      '  - { host: b.example.com, port: [443, 8443], pfx: b.p12, passphrase: pw }',
      '  - { host: c.example.com, port: "*", pfx: c.p12, ca: [r1.pem, r2.pem] }',
    ].join('\n');
    const rules = parseConfig(text, FILE, {}).clientCertificates;
    expect(rules.map((r) => [r.index, r.host, r.ports])).toEqual([
      [0, '*.Example.COM', [8443]],
      [1, 'b.example.com', [443, 8443]],
      [2, 'c.example.com', '*'],
    ]);
    expect(rules[0]).toMatchObject({ cert: '/etc/mtls-proxy/c.pem', key: '/etc/mtls-proxy/k.pem', verify: false });
    expect(rules[0]!.ca).toEqual(['/etc/mtls-proxy/root.pem']);
    expect(rules[1]!.passphrase).toBe('pw');
    expect(rules[2]!.ca).toEqual(['/etc/mtls-proxy/r1.pem', '/etc/mtls-proxy/r2.pem']);
  });

  it('leave the passphrase unset for passphraseFile, which loadConfig reads', () => {
    const text = 'clientCertificates:\n  - { host: a.example.com, pfx: a.p12, passphraseFile: /run/secrets/a }\n';
    const [rule] = parseConfig(text, FILE, {}).clientCertificates;
    expect(rule!.passphrase).toBeUndefined();
  });
});

describe('canonical forms', () => {
  it('lowercase resolve keys and targets and strip trailing dots, keeping ports', () => {
    const text = [
      'upstream:',
      '  resolve:',
      '    API.Example.com.: 10.1.2.3',
      '    "api.example.com:443": "127.0.0.1:9443"',
      '    "[::1]:8443": "[0:0::1]:9443"',
      '    v6.example.com: "FD00::1"',
    ].join('\n');
    expect(parseConfig(text, FILE, {}).upstream.resolve).toEqual({
      'api.example.com': '10.1.2.3',
      'api.example.com:443': '127.0.0.1:9443',
      '[::1]:8443': '[::1]:9443',
      'v6.example.com': 'fd00::1',
    });
  });

  it('write allow ranges with a prefix, a bare address being a one-address range', () => {
    const text = 'listen: { host: 0.0.0.0, allow: [10.0.0.0/8, 192.168.1.7, "FD00::/8"] }\n';
    expect(parseConfig(text, FILE, {}).listen.allow).toEqual(['10.0.0.0/8', '192.168.1.7/32', 'fd00::/8']);
  });

  it('write noProxy hosts as canonical patterns and ranges with a prefix', () => {
    const text = 'upstream: { noProxy: ["*.Internal.Example.com.", 10.0.0.0/8, "bücher.example"] }\n';
    expect(parseConfig(text, FILE, {}).upstream.noProxy).toEqual([
      '*.internal.example.com',
      '10.0.0.0/8',
      'xn--bcher-kva.example',
    ]);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.8.9.10', '127.8.9.10'],
    ['"::1"', '::1'],
    ['"[::1]"', '::1'],
    ['LocalHost.', 'localhost'],
  ])('accept the loopback listen host %s as %s without auth or allow', (written, host) => {
    expect(parseConfig(`listen: { host: ${written} }\n`, FILE, {}).listen.host).toBe(host);
  });

  it.each([
    ['allow', 'listen: { host: 0.0.0.0, allow: [172.18.0.0/16] }'],
    ['auth', 'listen: { host: "::", auth: { username: me, password: pw } }'],
  ])('accept a non-loopback listen host with %s', (_name, text) => {
    expect(parseConfig(text, FILE, {}).listen.port).toBe(8080);
  });
});

describe('${NAME} substitution', () => {
  it('reads every string value from the given environment, in lists and mappings', () => {
    const text = [
      'listen: { host: 0.0.0.0, auth: { username: "${USER_NAME}", password: "${PROXY_PASSWORD}" } }',
      'ca: { dir: "${STATE}/ca" }',
      'upstream:',
      '  ca: ["${CERTS}/a.pem", "${CERTS}/b.pem"]',
      '  proxy: "http://${PROXY_HOST}:3128"',
      '  resolve: { api.example.com: "${API_ADDRESS}" }',
      'clientCertificates:',
      '  - { host: "${HOST}", pfx: a.p12, passphrase: "${PASS}${PASS}" }',
    ].join('\n');
    const env = {
      USER_NAME: 'me',
      PROXY_PASSWORD: 's3cret',
      STATE: '/var/lib/mp',
      CERTS: '/certs',
      PROXY_HOST: 'corp',
      API_ADDRESS: '10.9.8.7',
      HOST: '*.example.com',
      PASS: 'ab',
    };
    const config = parseConfig(text, FILE, env);
    expect(config.listen.auth).toEqual({ username: 'me', password: 's3cret' });
    expect(config.ca.dir).toBe('/var/lib/mp/ca');
    expect(config.upstream.ca).toEqual(['/certs/a.pem', '/certs/b.pem']);
    expect(config.upstream.proxy).toBe('http://corp:3128');
    expect(config.upstream.resolve).toEqual({ 'api.example.com': '10.9.8.7' });
    expect(config.clientCertificates[0]).toMatchObject({ host: '*.example.com', passphrase: 'abab' });
  });

  it('validates the substituted value like a written one', () => {
    const [problem] = configProblems(() => parseConfig('upstream: { proxy: "${P}" }\n', FILE, { P: 'https://x:1' }));
    expect([problem!.path, problem!.reason]).toEqual(['upstream.proxy', 'must be an http:// URL, not https://']);
  });

  it('keeps $${NAME} as a literal ${NAME} and substitutes an empty variable as empty', () => {
    const text = 'clientCertificates:\n  - { host: a.example.com, pfx: a.p12, passphrase: "$${NOT_ME}-${EMPTY}-" }\n';
    expect(parseConfig(text, FILE, { EMPTY: '' }).clientCertificates[0]!.passphrase).toBe('${NOT_ME}--');
  });

  it('leaves keys and text that is no reference alone', () => {
    const text = 'upstream: { resolve: { "${X}.example.com": 10.0.0.1 } }\n';
    const [problem] = configProblems(() => parseConfig(text, FILE, { X: 'a' }));
    expect(problem!.path).toBe('upstream.resolve["${X}.example.com"]');
    const plain = 'clientCertificates:\n  - { host: a.example.com, pfx: a.p12, passphrase: "$HOME ${ x } ${1A}" }\n';
    expect(parseConfig(plain, FILE, { HOME: '/h' }).clientCertificates[0]!.passphrase).toBe('$HOME ${ x } ${1A}');
  });

  it('names the unset variable and the field, once per field', () => {
    const text = [
      'upstream: { ca: [a.pem, "${CERTS}/b.pem"], proxy: "http://${UPSTREAM_PROXY}:${UPSTREAM_PROXY}" }',
      'clientCertificates:',
      '  - { host: a.example.com, pfx: a.p12, passphrase: "${CLIENT_KEY_PASSPHRASE}" }',
    ].join('\n');
    const problems = configProblems(() => parseConfig(text, FILE, {}));
    expect(problems.map((p) => [p.path, p.reason])).toEqual([
      ['upstream.ca[1]', 'uses ${CERTS}, but the environment variable CERTS is not set'],
      ['upstream.proxy', 'uses ${UPSTREAM_PROXY}, but the environment variable UPSTREAM_PROXY is not set'],
      [
        'clientCertificates[0].passphrase',
        'uses ${CLIENT_KEY_PASSPHRASE}, but the environment variable CLIENT_KEY_PASSPHRASE is not set',
      ],
    ]);
  });

  it('reports unset variables together with schema problems elsewhere', () => {
    const problems = configProblems(() => parseConfig('listen: { port: 70000, host: "${H}" }\n', FILE, {}));
    expect(problems.map((p) => p.path)).toEqual(['listen.host', 'listen.port']);
  });
});

describe('paths', () => {
  const text = [
    'ca: { dir: state/ca, cert: ../my-ca.crt, key: /abs/my-ca.key }',
    'upstream: { ca: [./certs/root.pem, /etc/ssl/extra.pem] }',
    'clientCertificates:',
    '  - { host: a.example.com, cert: certs/a.crt, key: ./certs/a.key, ca: [../shared/root.pem] }',
    '  - { host: b.example.com, pfx: b.p12 }',
  ].join('\n');

  it('are resolved against the config file folder, absolute ones kept', () => {
    const config = parseConfig(text, '/srv/proxy/config.yaml', {});
    expect(config.ca).toEqual({ dir: '/srv/proxy/state/ca', cert: '/srv/my-ca.crt', key: '/abs/my-ca.key' });
    expect(config.upstream.ca).toEqual(['/srv/proxy/certs/root.pem', '/etc/ssl/extra.pem']);
    expect(config.clientCertificates[0]).toMatchObject({
      cert: '/srv/proxy/certs/a.crt',
      key: '/srv/proxy/certs/a.key',
      ca: ['/srv/shared/root.pem'],
    });
    expect(config.clientCertificates[1]!.pfx).toBe('/srv/proxy/b.p12');
  });

  it('are resolved against the working folder when there is no file', () => {
    const config = parseConfig(text, null, {});
    expect(config.file).toBeNull();
    expect(config.upstream.ca[0]).toBe(path.resolve('certs/root.pem'));
  });

  it('make a relative config file name absolute', () => {
    const config = parseConfig('', 'conf/proxy.yaml', {});
    expect(config.file).toBe(path.resolve('conf/proxy.yaml'));
    expect(config.ca.dir).toBe(path.resolve('conf/ca'));
  });
});

describe('freezing', () => {
  it('freezes the config all the way down', () => {
    const text = [
      'listen: { host: 0.0.0.0, allow: [10.0.0.0/8] }',
      'upstream: { resolve: { a.example.com: 10.0.0.1 } }',
      PFX_RULE,
    ].join('\n');
    const config = parseConfig(text, FILE, {});
    const objects: unknown[] = [
      config,
      config.listen,
      config.listen.allow,
      config.ca,
      config.upstream,
      config.upstream.ca,
      config.upstream.resolve,
      config.clientCertificates,
      config.clientCertificates[0],
      config.clientCertificates[0]!.ports,
      config.clientCertificates[0]!.ca,
      config.log,
      config.timeouts,
      config.limits,
    ];
    for (const object of objects) expect(Object.isFrozen(object)).toBe(true);
    expect(() => {
      (config.listen as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (config.clientCertificates[0]!.ports as number[]).push(8443)).toThrow(TypeError);
  });

  it('shares nothing frozen between two parses', () => {
    const first = parseConfig(PFX_RULE, FILE, {});
    const second = parseConfig(PFX_RULE, FILE, {});
    expect(second.clientCertificates[0]!.ports).not.toBe(first.clientCertificates[0]!.ports);
    expect(second).toEqual(first);
  });
});

describe('overrides', () => {
  const text = 'listen: { host: 127.0.0.1, port: 8080 }\nlog: { level: info, format: json }\n';

  it('win over the file', () => {
    const config = parseConfig(text, FILE, {}, { host: '::1', port: 0, logLevel: 'debug', logFormat: 'pretty' });
    expect(config.listen).toEqual({ host: '::1', port: 0 });
    expect(config.log).toEqual({ level: 'debug', format: 'pretty' });
  });

  it('apply without a file', () => {
    expect(parseConfig('', null, {}, { port: 9090 }).listen.port).toBe(9090);
  });

  it('leave what they do not name', () => {
    const config = parseConfig(text, FILE, {}, { logLevel: 'warn' });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.log).toEqual({ level: 'warn', format: 'json' });
  });

  it('are checked for listen safety like the file', () => {
    const [problem, ...others] = configProblems(() => parseConfig(text, FILE, {}, { host: '0.0.0.0' }));
    expect(others).toEqual([]);
    expect(problem!.path).toBe('listen.host');
    expect(problem!.reason).toMatch(/set listen\.auth or listen\.allow/);
  });

  it('may open the listen host when the file sets allow', () => {
    const allowed = 'listen: { allow: [192.168.0.0/16] }\n';
    expect(parseConfig(allowed, FILE, {}, { host: '0.0.0.0' }).listen.host).toBe('0.0.0.0');
  });

  it('are validated like the file', () => {
    const [problem] = configProblems(() => parseConfig(text, FILE, {}, { port: 70000 }));
    expect([problem!.path, problem!.reason]).toEqual(['listen.port', 'must be at most 65535']);
  });
});
