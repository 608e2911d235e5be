import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseConfigFile, findConfigFile, loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { configProblemsAsync } from './helpers.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-config-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

describe('chooseConfigFile', () => {
  it('reads config.yml when there is no config.yaml', () => {
    const yml = write('config.yml', '');
    expect(chooseConfigFile({ env: {}, cwd: dir })).toEqual({ file: yml, ignored: null });
  });

  it('prefers config.yaml and names the config.yml beside it as ignored', () => {
    const yml = write('config.yml', '');
    const yaml = write('config.yaml', '');
    expect(chooseConfigFile({ env: {}, cwd: dir })).toEqual({ file: yaml, ignored: yml });
  });

  it('ignores nothing when a file is named', () => {
    write('config.yml', '');
    write('config.yaml', '');
    expect(chooseConfigFile({ file: 'other.yaml', env: {}, cwd: dir })).toEqual({ file: path.join(dir, 'other.yaml'), ignored: null });
  });

  it('gives loadConfig a warning to pass on when it leaves config.yml aside', async () => {
    write('config.yml', '');
    write('config.yaml', '');
    expect((await loadConfig({ env: {}, cwd: dir })).loadWarnings).toEqual([
      `${path.join(dir, 'config.yml')} is not read: ${path.join(dir, 'config.yaml')} beside it is; merge the two into config.yaml and remove config.yml`,
    ]);
  });
});

describe('findConfigFile', () => {
  it('takes the file option first, relative to cwd', () => {
    write('config.yaml', '');
    const env = { MTLS_PROXY_CONFIG: '/elsewhere.yaml' };
    expect(findConfigFile({ file: 'conf/my.yaml', env, cwd: dir })).toBe(path.join(dir, 'conf/my.yaml'));
  });

  it('then $MTLS_PROXY_CONFIG, relative to cwd', () => {
    write('config.yaml', '');
    expect(findConfigFile({ env: { MTLS_PROXY_CONFIG: 'other.yaml' }, cwd: dir })).toBe(path.join(dir, 'other.yaml'));
  });

  it('then config.yaml in cwd when it exists', () => {
    expect(findConfigFile({ env: { MTLS_PROXY_CONFIG: '' }, cwd: dir })).toBeNull();
    const file = write('config.yaml', '');
    expect(findConfigFile({ env: {}, cwd: dir })).toBe(file);
  });
});

describe('loadConfig', () => {
  it('reads the file found and resolves paths against its folder', async () => {
    const file = write('etc/proxy.yaml', 'ca: { dir: state }\nlisten: { port: 0 }\n');
    const config = await loadConfig({ file, env: {} });
    expect(config.file).toBe(file);
    expect(config.ca.dir).toBe(path.join(dir, 'etc/state'));
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('uses the built-in defaults, relative to cwd, when there is no file', async () => {
    const config = await loadConfig({ env: {}, cwd: dir, overrides: { port: 0 } });
    expect(config.file).toBeNull();
    expect(config.ca.dir).toBe(path.join(dir, 'ca'));
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('finds the file through $MTLS_PROXY_CONFIG and substitutes from the given env', async () => {
    write('mp.yaml', 'log: { level: "${LEVEL}" }\n');
    const config = await loadConfig({ env: { MTLS_PROXY_CONFIG: 'mp.yaml', LEVEL: 'debug' }, cwd: dir });
    expect(config.log.level).toBe('debug');
  });

  it.each([
    ['a missing file', (): string => path.join(dir, 'nope.yaml'), 'cannot read the config file: no such file'],
    ['a folder', (): string => dir, 'cannot read the config file: it is a folder, not a file'],
  ])('reports %s as ERR_CONFIG_FILE with an empty path', async (_name, file, reason) => {
    const err = await loadConfig({ file: file(), env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'ERR_CONFIG_FILE', file: file(), path: '', reason });
  });

  it('reads passphraseFile, stripping one trailing newline', async () => {
    write('secrets/a', 'first secret\n');
    write('secrets/b', 'second\r\n\n');
    write('secrets/c', 'no newline');
    const file = write(
      'config.yaml',
      [
        'clientCertificates:',
        '  - { host: a.example.com, pfx: a.p12, passphraseFile: secrets/a }',
        '  - { host: b.example.com, pfx: b.p12, passphraseFile: secrets/b }',
        '  - { host: c.example.com, pfx: c.p12, passphraseFile: ./secrets/c }',
        '  - { host: d.example.com, pfx: d.p12, passphrase: written }',
        '  - { host: e.example.com, pfx: e.p12 }',
      ].join('\n'),
    );
    const config = await loadConfig({ file, env: {} });
    expect(config.clientCertificates.map((r) => r.passphrase)).toEqual([
      'first secret',
      'second\r\n',
      'no newline',
      'written',
      undefined,
    ]);
    expect(Object.isFrozen(config.clientCertificates[0])).toBe(true);
  });

  it('leaves each unreadable passphraseFile on its rule, for the store to report, and never shows a readable one', async () => {
    write('secrets/ok', 'top-secret-value\n');
    const file = write(
      'config.yaml',
      [
        'clientCertificates:',
        '  - { host: a.example.com, pfx: a.p12, passphraseFile: secrets/missing }',
        '  - { host: b.example.com, pfx: b.p12, passphraseFile: secrets/ok }',
        '  - { host: c.example.com, pfx: c.p12, passphraseFile: secrets }',
      ].join('\n'),
    );
    const config = await loadConfig({ file, env: {} });
    expect(config.clientCertificates.map((rule) => [rule.passphraseFileProblem, rule.passphrase])).toEqual([
      [`cannot read ${JSON.stringify(path.join(dir, 'secrets/missing'))}: no such file`, undefined],
      [undefined, 'top-secret-value'],
      [`cannot read ${JSON.stringify(path.join(dir, 'secrets'))}: it is a folder, not a file`, undefined],
    ]);
    expect(config.clientCertificates.map((rule) => rule.passphraseFileProblem).join('\n')).not.toContain('top-secret-value');
  });

  it('reports config problems before reading any passphraseFile', async () => {
    const file = write(
      'config.yaml',
      'lisen: {}\nclientCertificates:\n  - { host: a.example.com, pfx: a.p12, passphraseFile: nope }\n',
    );
    const problems = await configProblemsAsync(() => loadConfig({ file, env: {} }));
    expect(problems.map((p) => p.path)).toEqual(['lisen']);
  });
});
