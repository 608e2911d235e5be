import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureContext } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { connectThrough, readRawResponse, tlsViaProxy } from '../helpers/proxy-client.js';
import { ruleYaml } from '../proxy/fixtures.js';
import { requestOn, startReloadable, type Reloadable } from './fixtures.js';

let setup: Reloadable | undefined;
const folders: string[] = [];
afterEach(async () => {
  await setup?.close();
  setup = undefined;
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-proxy-reload-'));
  folders.push(dir);
  return dir;
}

/** A rule for api.example.com whose certificate and key are the files named. */
function ruleWithFiles(cert: string, key: string, host = 'api.example.com'): string {
  return `  - host: "${host}"\n    cert: ${cert}\n    key: ${key}\n`;
}

/** A proxy whose rule names client.crt and client.key in a folder of the test's, holding alice's. */
async function startWithAliceInFiles(): Promise<{ cert: string; key: string; reloadable: Reloadable }> {
  const dir = tempFolder();
  const cert = join(dir, 'client.crt');
  const key = join(dir, 'client.key');
  const reloadable = await startReloadable((pki) => {
    writeFileSync(cert, pki.alice.certPem);
    writeFileSync(key, pki.alice.keyPem);
    return ruleWithFiles(cert, key);
  });
  return { cert, key, reloadable };
}

describe('a reload', () => {
  it('follows an in-place edit of the config file', async () => {
    setup = await startReloadable((pki) => ruleYaml(pki, 'api.example.com', 'alice'));
    const { pki } = setup;
    expect(await setup.clientCertFor()).toBe(pki.alice.fingerprint256);
    const reloaded = setup.next('config reloaded');
    setup.writeConfig(ruleYaml(pki, 'api.example.com', 'bob'));
    expect(await reloaded).toMatchObject({ level: 30, rules: 1 });
    expect(await setup.clientCertFor()).toBe(pki.bob.fingerprint256);
  });

  it('keeps the minted leaves when the CA did not change, and says again what start says about the new config', async () => {
    setup = await startReloadable((pki) => ruleYaml(pki, 'api.example.com', 'alice'));
    const { pki, proxy } = setup;
    const leaves = proxy.proxy.context.leaves;
    const reloaded = setup.next('config reloaded');
    const expiring = setup.next('certificate expiring');
    setup.writeConfig(ruleYaml(pki, 'api.example.com', 'bob', '    verify: false\n'), 'warnExpiryDays: 4000\nlog:\n  level: warn\n');
    await reloaded;
    expect(proxy.proxy.context.leaves).toBe(leaves);
    expect(await expiring).toMatchObject({ rule: 'api.example.com', fingerprint256: pki.bob.fingerprint256 });
    expect(proxy.logs('upstream certificate verification is off for this rule')).toHaveLength(1);
    // The CA was created at start, not by the reload.
    expect(proxy.lines.filter((l) => String(l.msg).startsWith('created a new CA'))).toHaveLength(1);
    // log.level: warn applies at once: a request is no longer logged.
    const requests = proxy.logs('request').length;
    expect(await setup.clientCertFor()).toBe(pki.bob.fingerprint256);
    expect(proxy.logs('request')).toHaveLength(requests);
  });

  it('follows a certificate and key replaced by renaming new files over them, as certbot and editors do', async () => {
    const { cert, key, reloadable } = await startWithAliceInFiles();
    setup = reloadable;
    const { pki } = setup;
    expect(await setup.clientCertFor()).toBe(pki.alice.fingerprint256);
    const reloaded = setup.next('config reloaded');
    writeFileSync(`${cert}.tmp`, pki.bob.certPem);
    writeFileSync(`${key}.tmp`, pki.bob.keyPem);
    renameSync(`${key}.tmp`, key);
    renameSync(`${cert}.tmp`, cert);
    await reloaded;
    expect(await setup.clientCertFor()).toBe(pki.bob.fingerprint256);
  });

  it('follows a Kubernetes secret volume, whose ..data link is swapped to a new folder', async () => {
    const volume = tempFolder();
    const generation = (name: string, certPem: string, keyPem: string): void => {
      mkdirSync(join(volume, name));
      writeFileSync(join(volume, name, 'tls.crt'), certPem);
      writeFileSync(join(volume, name, 'tls.key'), keyPem);
    };
    setup = await startReloadable((pki) => {
      generation('..2026_01_01', pki.alice.certPem, pki.alice.keyPem);
      symlinkSync('..2026_01_01', join(volume, '..data'));
      symlinkSync('..data/tls.crt', join(volume, 'tls.crt'));
      symlinkSync('..data/tls.key', join(volume, 'tls.key'));
      return ruleWithFiles(join(volume, 'tls.crt'), join(volume, 'tls.key'));
    });
    const { pki } = setup;
    expect(await setup.clientCertFor()).toBe(pki.alice.fingerprint256);
    const reloaded = setup.next('config reloaded');
    // What the kubelet does: a new folder, a new link to it, renamed over ..data, the old folder removed.
    generation('..2026_01_02', pki.bob.certPem, pki.bob.keyPem);
    symlinkSync('..2026_01_02', join(volume, '..data_tmp'));
    renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
    rmSync(join(volume, '..2026_01_01'), { recursive: true });
    await reloaded;
    expect(await setup.clientCertFor()).toBe(pki.bob.fingerprint256);
  });

  it('keeps serving the old config when the new one is broken, and logs the words check prints', async () => {
    setup = await startReloadable((pki) => ruleYaml(pki, 'api.example.com', 'alice'));
    const { pki } = setup;
    const failed = setup.next('config reload failed');
    // bob's certificate with alice's key, and a misspelt key: two problems, as check reports them.
    setup.writeConfig(`  - host: api.example.com\n    cert: ${pki.files['bob.crt']}\n    key: ${pki.files['alice.key']}\n`, 'warnExpiryDay: 3\n');
    const line = await failed;
    const check = await runCli(['check', '-c', setup.file], { cwd: setup.proxy.dir });
    expect(check.code).toBe(2);
    const words = check.stderr.trim().split('\n').map((l) => l.replace(/^error: /, ''));
    expect(words.length).toBeGreaterThan(0);
    expect(line).toMatchObject({ level: 50, error: words.join('\n') });
    expect(await setup.clientCertFor()).toBe(pki.alice.fingerprint256);

    // A certificate problem rather than a config one is refused too.
    const failedAgain = setup.next('config reload failed');
    setup.writeConfig(`  - host: api.example.com\n    cert: ${pki.files['bob.crt']}\n    key: ${pki.files['alice.key']}\n`);
    expect((await failedAgain).error).toBe(`${setup.file}: clientCertificates[0].key: the key in ${pki.files['alice.key']} does not belong to the certificate CN=bob in ${pki.files['bob.crt']}`);
    expect(await setup.clientCertFor()).toBe(pki.alice.fingerprint256);
    expect(setup.proxy.logs('config reloaded')).toEqual([]);
  });

  it('rotates a client certificate for new connections while an open keep-alive connection keeps working', async () => {
    const { cert, key, reloadable } = await startWithAliceInFiles();
    setup = reloadable;
    const { pki, proxy } = setup;
    const open = await tlsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem });
    try {
      expect((await requestOn(open, 'api.example.com')).seen?.clientCert).toBe(pki.alice.fingerprint256);
      const reloaded = setup.next('config reloaded');
      writeFileSync(cert, pki.bob.certPem);
      writeFileSync(key, pki.bob.keyPem);
      await reloaded;
      expect(await setup.clientCertFor()).toBe(pki.bob.fingerprint256);
      // The connection opened before the reload finishes its life on the config it started with.
      const again = await requestOn(open, 'api.example.com');
      expect(again.status).toBe(200);
      expect(again.seen?.clientCert).toBe(pki.alice.fingerprint256);
      expect(await setup.clientCertFor()).toBe(pki.bob.fingerprint256);
    } finally {
      open.destroy();
    }
  });

  it('says that a new listen.port needs a restart, and applies the rest', async () => {
    setup = await startReloadable((pki) => ruleYaml(pki, 'api.example.com', 'alice'));
    const { pki } = setup;
    const warned = setup.next('listen.port changed; restart the proxy to apply it (the reload applied everything else)');
    const reloaded = setup.next('config reloaded');
    writeFileSync(setup.file, readFileSync(setup.file, 'utf8').replace('port: 0', 'port: 1').replace(/alice/g, 'bob'));
    expect(await warned).toMatchObject({ level: 40, key: 'listen.port' });
    await reloaded;
    expect(await setup.clientCertFor()).toBe(pki.bob.fingerprint256);
  });

  it('says that a new log.keylog needs a restart, and writes no secrets to the new file', async () => {
    setup = await startReloadable((pki) => ruleYaml(pki, 'api.example.com', 'alice'));
    const warned = setup.next('log.keylog changed; restart the proxy to apply it (the reload applied everything else)');
    const reloaded = setup.next('config reloaded');
    const keylog = join(mkdtempSync(join(tmpdir(), 'mtls-proxy-keylog-')), 'keys.log');
    setup.writeConfig(ruleYaml(setup.pki, 'api.example.com', 'alice'), `log:\n  keylog: ${keylog}\n`);
    expect(await warned).toMatchObject({ level: 40, key: 'log.keylog' });
    await reloaded;
    expect(await setup.clientCertFor()).toBe(setup.pki.alice.fingerprint256);
    // Neither side's handshake went to a file the proxy never opened or announced.
    expect(() => readFileSync(keylog)).toThrow(/ENOENT/);
  });

  it('applies a new timeouts.idle to the listening servers: an idle keep-alive connection is closed after it', async () => {
    setup = await startReloadable((pki) => ruleYaml(pki, 'api.example.com', 'alice'));
    const reloaded = setup.next('config reloaded');
    setup.writeConfig(ruleYaml(setup.pki, 'api.example.com', 'alice'), 'timeouts:\n  idle: 1\n');
    await reloaded;
    const socket = connect(setup.proxy.port, '127.0.0.1');
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
    const response = readRawResponse(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: proxy\r\n\r\n');
    expect((await response).status).toBe(200);
    const answeredAt = performance.now();
    // Well before the 60 s the proxy started with, and not before the second it now has.
    const closedAt = await Promise.race([closed, sleep(10_000).then(() => Number.NaN)]);
    expect(closedAt - answeredAt).toBeGreaterThanOrEqual(900);
    socket.destroy();
  });

  it('applies listen.auth to connections accepted after it, on plain HTTP and CONNECT, while older ones keep their config', async () => {
    setup = await startReloadable((pki) => ruleYaml(pki, 'api.example.com', 'alice'));
    const { proxy } = setup;
    const plain = createHttpServer((_req, res) => res.end('plain'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const absoluteForm = async (socket: Socket): Promise<number> => {
      const response = readRawResponse(socket);
      socket.write(`GET http://${target}/ HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
      return (await response).status;
    };
    const plainBefore = connect(proxy.port, '127.0.0.1');
    const tunnelBefore = await tlsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem });
    try {
      expect(await absoluteForm(plainBefore)).toBe(200);
      const reloaded = setup.next('config reloaded');
      writeFileSync(setup.file, readFileSync(setup.file, 'utf8').replace('  port: 0\n', '  port: 0\n  auth: { username: me, password: secret }\n'));
      await reloaded;

      const plainAfter = connect(proxy.port, '127.0.0.1');
      expect(await absoluteForm(plainAfter)).toBe(407);
      plainAfter.destroy();
      const connectAfter = await connectThrough(proxy.port, 'api.example.com:443');
      expect(connectAfter.status).toBe(407);
      connectAfter.socket.destroy();

      expect(await absoluteForm(plainBefore)).toBe(200);
      expect((await requestOn(tunnelBefore, 'api.example.com')).status).toBe(200);
    } finally {
      plainBefore.destroy();
      tunnelBefore.destroy();
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('keeps the pool of a rule whose identity did not change: its upstream connection is reused', async () => {
    setup = await startReloadable((p) => ruleYaml(p, 'api.example.com', 'alice') + ruleYaml(p, 'other.example.com', 'alice'));
    const { pki } = setup;
    const upstreamTls = (host: string): number => setup!.proxy.logs('upstream tls').filter((l) => l.host === host).length;
    expect(await setup.clientCertFor('api.example.com')).toBe(pki.alice.fingerprint256);
    expect(await setup.clientCertFor('other.example.com')).toBe(pki.alice.fingerprint256);
    expect(upstreamTls('api.example.com')).toBe(1);
    expect(upstreamTls('other.example.com')).toBe(1);

    const reloaded = setup.next('config reloaded');
    // other.example.com's rule now lends bob's certificate, and comes first: api.example.com's rule moved, unchanged.
    setup.writeConfig(ruleYaml(pki, 'other.example.com', 'bob') + ruleYaml(pki, 'api.example.com', 'alice'));
    await reloaded;
    expect(await setup.clientCertFor('api.example.com')).toBe(pki.alice.fingerprint256);
    expect(upstreamTls('api.example.com')).toBe(1);
    expect(await setup.clientCertFor('other.example.com')).toBe(pki.bob.fingerprint256);
    expect(upstreamTls('other.example.com')).toBe(2);
  });
  it('builds no new upstream SecureContext when the identity is unchanged, and reuses the one of an identity rotated back while it is in memory', async () => {
    setup = await startReloadable((p) => ruleYaml(p, 'api.example.com', 'alice'));
    const { pki, proxy, reloader } = setup;
    /** The upstream SecureContext new connections to api.example.com get under the current config. */
    const upstreamContext = (): SecureContext => {
      const { routes, config } = proxy.proxy.context;
      return routes.route('api.example.com', 443, true, config.clientCertificates[0]!).credentials!.secureContext();
    };
    expect(await setup.clientCertFor()).toBe(pki.alice.fingerprint256);
    const alice = upstreamContext();

    await reloader.reload();
    expect(upstreamContext()).toBe(alice);
    expect(await setup.clientCertFor()).toBe(pki.alice.fingerprint256);
    expect(proxy.logs('upstream tls')).toHaveLength(1);

    setup.writeConfig(ruleYaml(pki, 'api.example.com', 'bob'));
    await reloader.reload();
    expect(upstreamContext()).not.toBe(alice);
    expect(await setup.clientCertFor()).toBe(pki.bob.fingerprint256);

    // `alice` is held here, so it is still in memory: rotating back parses nothing again.
    setup.writeConfig(ruleYaml(pki, 'api.example.com', 'alice'));
    await reloader.reload();
    expect(upstreamContext()).toBe(alice);
    expect(await setup.clientCertFor()).toBe(pki.alice.fingerprint256);
  });
});
