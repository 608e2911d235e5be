import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configuredUpstream, type ConfiguredUpstream } from '../clients/fixtures.js';
import { runCli, startCli, tempDir, type RunningCli } from '../helpers/cli.js';
import { makeCa } from '../helpers/pki.js';
import { closedPort } from '../helpers/upstream.js';

const exec = promisify(execFile);

const { dir, remove } = tempDir('trust');
afterAll(remove);
const config = path.join(dir, 'config.yaml');
writeFileSync(config, 'ca:\n  dir: ./ca\n');
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });

/** The proxy CA's fingerprint256 without colons, once `trust` has created it. */
function caShort(): string {
  const pem = readFileSync(path.join(dir, 'ca', 'ca.crt'), 'utf8');
  return execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: pem, encoding: 'utf8' }).split('=')[1]!.replaceAll(':', '').trim().slice(0, 16);
}

/** A certificate another program put in the store, which untrust must leave alone. */
const other = makeCa('Someone Else CA');
const otherFile = path.join(dir, 'other.pem');
writeFileSync(otherFile, other.certPem);

describe('trust --nss DIR', () => {
  const db = path.join(dir, 'nssdb');
  const list = () => execFileSync('certutil', ['-d', `sql:${db}`, '-L'], { encoding: 'utf8' });

  beforeAll(() => {
    mkdirSync(db);
    execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
    execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'someone else', '-i', otherFile]);
  });

  it('adds the CA as a CA for servers, then says already trusted', async () => {
    const first = await cli(['trust', '-c', config, '--nss', db]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`nss sql:${db}: trusted\n`);
    expect(list()).toMatch(new RegExp(`mtls-proxy ${caShort()}\\s+C,,`));
    const second = await cli(['trust', '-c', config, '--nss', `sql:${db}`]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`nss sql:${db}: already trusted\n`);
  });

  it('--dry-run prints the command and changes nothing', async () => {
    const before = list();
    const result = await cli(['untrust', '-c', config, '--nss', db, '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`nss sql:${db}: would run: certutil -d sql:${db} -D -n 'mtls-proxy ${caShort()}'\n`);
    expect(list()).toBe(before);
  });

  it('untrust removes only this CA, then has nothing to remove', async () => {
    const result = await cli(['untrust', '-c', config, '--nss', db]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`nss sql:${db}: removed\n`);
    expect(list()).not.toContain('mtls-proxy');
    expect(list()).toContain('someone else');
    const again = await cli(['untrust', '-c', config, '--nss', db]);
    expect(again.stdout).toBe(`nss sql:${db}: not trusted, nothing to remove\n`);
  });

  it('a missing certutil is an error: line naming libnss3-tools, and exit 1', async () => {
    const result = await cli(['trust', '-c', config, '--nss', db], { PATH: path.join(dir, 'no-bin') });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: nss sql:${db}: certutil is not installed; install libnss3-tools\n`);
  });

  it('exits 1 when one store fails, after doing the others', async () => {
    const missing = path.join(dir, 'no-such-db');
    const result = await cli(['trust', '-c', config, '--nss', missing, '--nss', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: nss sql:${missing}: certutil .* failed: `));
    expect(result.stdout).toBe(`nss sql:${db}: trusted\n`);
    await cli(['untrust', '-c', config, '--nss', db]);
  });
});

describe('trust --java (a keystore named by MTLS_PROXY_JAVA_CACERTS)', () => {
  const keystore = path.join(dir, 'cacerts');
  const env = { MTLS_PROXY_JAVA_CACERTS: keystore, MTLS_PROXY_JAVA_STOREPASS: "s3cret 'pass'" };
  const list = () => execFileSync('keytool', ['-list', '-keystore', keystore, '-storepass:env', 'MTLS_PROXY_JAVA_STOREPASS'], { encoding: 'utf8', env: { ...process.env, ...env } });

  beforeAll(() => {
    execFileSync('keytool', ['-importcert', '-noprompt', '-alias', 'someone-else', '-file', otherFile, '-keystore', keystore, '-storepass:env', 'MTLS_PROXY_JAVA_STOREPASS'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  });

  it('adds, says already trusted, removes only its own alias', async () => {
    const first = await cli(['trust', '-c', config, '--java'], env);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(`java ${keystore}: trusted\n`);
    expect(list()).toContain(`mtls-proxy-${caShort().toLowerCase()}`);
    expect((await cli(['trust', '-c', config, '--java'], env)).stdout).toBe(`java ${keystore}: already trusted\n`);
    const removed = await cli(['untrust', '-c', config, '--java'], env);
    expect(removed.stdout).toBe(`java ${keystore}: removed\n`);
    expect(list()).not.toContain('mtls-proxy');
    expect(list()).toContain('someone-else');
  });

  it('--dry-run shows the keytool command without the password', async () => {
    const result = await cli(['trust', '-c', config, '--java', '--dry-run'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`java ${keystore}: would run: keytool -importcert -noprompt -trustcacerts -file ${path.join(dir, 'ca', 'ca.crt')}`);
    expect(result.stdout).toContain('-storepass:env MTLS_PROXY_JAVA_STOREPASS');
    expect(result.stdout).not.toContain('s3cret');
    expect(list()).not.toContain('mtls-proxy');
  });

  it('a missing keytool is an error: line naming a JDK package', async () => {
    const result = await cli(['trust', '-c', config, '--java'], { ...env, PATH: path.join(dir, 'no-bin') });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: java ${keystore}: keytool is not installed; install a JDK such as openjdk-17-jre-headless\n`);
  });
});

describe('trust without a store option', () => {
  it('acts on the stores found: the system, the NSS databases in HOME, Java when keytool is there', async () => {
    const home = path.join(dir, 'home');
    for (const db of ['.pki/nssdb', '.mozilla/firefox/abc.default-release']) {
      mkdirSync(path.join(home, db), { recursive: true });
      execFileSync('certutil', ['-N', '-d', `sql:${path.join(home, db)}`, '--empty-password']);
    }
    mkdirSync(path.join(home, '.mozilla/firefox/Crash Reports'));
    const keystore = path.join(dir, 'cacerts');
    const result = await cli(['trust', '-c', config, '--dry-run'], { HOME: home, MTLS_PROXY_JAVA_CACERTS: keystore });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const stores = result.stdout.trimEnd().split('\n').map((line) => line.replace(/: would run: .*/, ''));
    expect(stores).toEqual([
      `system (Debian/Ubuntu) /usr/local/share/ca-certificates/mtls-proxy-${caShort()}.crt`,
      `nss sql:${path.join(home, '.pki/nssdb')}`,
      `nss sql:${path.join(home, '.mozilla/firefox/abc.default-release')}`,
      `java ${keystore}`,
    ]);
  });
});

describe('trust --system (Debian: update-ca-certificates, run as root)', () => {
  let setup: ConfiguredUpstream;
  let proxy: RunningCli;
  let port: number;
  let anchor: string;

  beforeAll(async () => {
    port = await closedPort();
    setup = await configuredUpstream();
    writeFileSync(setup.config, readFileSync(setup.config, 'utf8').replace('port: 0', `port: ${port}`));
    proxy = startCli(['start', '-c', setup.config], { cwd: setup.dir });
    await proxy.waitForLog('listening');
  });
  afterAll(async () => {
    // Whatever happened above, the machine's store is left as it was.
    if (anchor && existsSync(anchor)) {
      rmSync(anchor);
      execFileSync('update-ca-certificates', { stdio: 'ignore' });
      const link = `/etc/ssl/certs/${path.basename(anchor, '.crt')}.pem`;
      execFileSync('/etc/ca-certificates/update.d/jks-keystore', { input: `-${link}\n`, stdio: ['pipe', 'ignore', 'ignore'] });
    }
    proxy?.child.kill('SIGTERM');
    await proxy?.exited;
    await setup?.close();
  });

  /** The aliases of the JDK's cacerts, which Debian's ca-certificates-java keeps in step with the system store. */
  const javaSystemAliases = () => execFileSync('keytool', ['-list', '-cacerts', '-storepass', 'changeit'], { encoding: 'utf8' });

  /** curl with the proxy and no CA option: only the system store can make it trust the proxy's leaf. */
  const curl = () => exec('curl', ['-sS', '--fail', '-x', `http://127.0.0.1:${port}`, 'https://api.example.com/system'], { env: { PATH: process.env.PATH ?? '' } });

  it('makes curl trust the proxy with no CA option, and untrust makes it fail again', async () => {
    await expect(curl()).rejects.toMatchObject({ code: 60 });
    const trusted = await runCli(['trust', '-c', setup.config, '--system'], { cwd: setup.dir });
    anchor = /system \(Debian\/Ubuntu\) (\S+): trusted/.exec(trusted.stdout)?.[1] ?? '';
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    expect(anchor).toMatch(/^\/usr\/local\/share\/ca-certificates\/mtls-proxy-[0-9A-F]{16}\.crt$/);
    const { stdout } = await curl();
    expect(JSON.parse(stdout)).toMatchObject({ url: '/system', clientCert: setup.pki.alice.fingerprint256 });
    expect(javaSystemAliases()).toContain(path.basename(anchor, '.crt').toLowerCase());
    expect((await runCli(['trust', '-c', setup.config, '--system'], { cwd: setup.dir })).stdout).toBe(`system (Debian/Ubuntu) ${anchor}: already trusted\n`);
    const untrusted = await runCli(['untrust', '-c', setup.config, '--system'], { cwd: setup.dir });
    expect(untrusted.code).toBe(0);
    expect(untrusted.stdout).toBe(`system (Debian/Ubuntu) ${anchor}: removed\n`);
    expect(existsSync(anchor)).toBe(false);
    await expect(curl()).rejects.toMatchObject({ code: 60 });
    // Debian mirrors the store into Java's cacerts: the copy made there goes too.
    expect(javaSystemAliases()).not.toContain(path.basename(anchor, '.crt').toLowerCase());
  });
});
