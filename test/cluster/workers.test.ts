/**
 * `workers: 2` end to end: the built CLI, an upstream that requires a client
 * certificate, and clients on new connections, which the primary hands to the
 * workers in turn.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir, type LogLine, type RunningCli } from '../helpers/cli.js';
import { makeCa, writeFiles } from '../helpers/pki.js';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startUpstream, type SeenRequest, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from '../proxy/fixtures.js';

const { dir, remove } = tempDir('workers');
let pki: ProxyPki;
let upstream: TestUpstream;
let cli: RunningCli;
let port: number;

beforeAll(async () => {
  pki = makeProxyPki();
  upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  writeFileSync(
    path.join(dir, 'config.yaml'),
    `listen:\n  port: 0\nworkers: 2\nupstream:\n  ca: ${pki.files['server-ca.pem']}\n  resolve:\n    "api.example.com:443": "127.0.0.1:${upstream.port}"\n` +
      `clientCertificates:\n${ruleYaml(pki, 'api.example.com', 'alice')}`,
  );
  cli = startCli(['start'], { cwd: dir });
  port = (await cli.waitForLog('listening')).port as number;
});

afterAll(async () => {
  // A failed assertion must not leave a proxy running; its workers end with it.
  cli.child.kill('SIGKILL');
  await upstream.close();
  remove();
});

const requestLines = (): LogLine[] => cli.lines.filter((line) => line.msg === 'request');

/** `count` requests, each on a new client connection, trusting only `ca`; waits for their `request` lines. */
async function requestsOnNewConnections(count: number, ca: string): Promise<LogLine[]> {
  const before = requestLines().length;
  for (let i = 0; i < count; i++) {
    const res = await httpsViaProxy({ proxyPort: port, authority: 'api.example.com:443', ca, headers: { connection: 'close' } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as SeenRequest).clientCert).toBe(pki.alice.fingerprint256);
  }
  return cli.waitUntil(`logging ${count} requests`, () => {
    const lines = requestLines().slice(before);
    return lines.length >= count ? lines : undefined;
  });
}

const workersOf = (lines: readonly LogLine[]): Set<unknown> => new Set(lines.map((line) => line.worker));

function get(urlPath: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${urlPath}`, { headers: { connection: 'close' } });
}

describe('mtls-proxy start with workers: 2', () => {
  it('logs listening once, after a worker started line (with its pid) for each worker', () => {
    const listening = cli.lines.filter((line) => line.msg === 'listening');
    expect(listening).toHaveLength(1);
    expect(listening[0]).toMatchObject({ workers: 2, caCert: path.join(dir, 'ca', 'ca.crt'), rules: 1 });
    expect(listening[0]).not.toHaveProperty('worker');
    const started = cli.lines.filter((line) => line.msg === 'worker started');
    expect(started.map((line) => typeof line.pid)).toEqual(['number', 'number']);
    expect(workersOf(started).size).toBe(2);
  });

  it('lends the client certificate from both workers, whose lines carry their worker id', async () => {
    const lines = await requestsOnNewConnections(4, readFileSync(path.join(dir, 'ca', 'ca.crt'), 'utf8'));
    const started = cli.lines.filter((line) => line.msg === 'worker started').map((line) => line.worker);
    expect(workersOf(lines)).toEqual(new Set(started));
  });

  it("says in the console which worker's feed it shows", async () => {
    const state = (await (await get('/api/console')).json()) as { worker: { id: number; of: number } };
    const started = cli.lines.filter((line) => line.msg === 'worker started').map((line) => line.worker);
    expect(state.worker.of).toBe(2);
    expect(started).toContain(state.worker.id);
  });

  it('sums the counts of every worker in /metrics', async () => {
    const served = requestLines().length;
    expect(workersOf(requestLines()).size).toBe(2);
    const text = await (await get('/metrics')).text();
    expect(text).toContain(`mtls_proxy_requests_total{rule="api.example.com",code="200"} ${served}`);
  });

  it('fails /healthz while a worker is down, and restarts it', async () => {
    const [victim] = cli.lines.filter((line) => line.msg === 'worker started');
    process.kill(victim!.pid as number, 'SIGKILL');
    const exited = await cli.waitForLog('worker exited');
    expect(exited).toMatchObject({ worker: victim!.worker, signal: 'SIGKILL' });
    expect(exited.restartInMs).toEqual(expect.any(Number));

    const down = await get('/healthz');
    expect(down.status).toBe(503);
    expect(await down.text()).toBe(`1 of 2 workers is down: worker ${String(victim!.worker)} (killed by SIGKILL); it is being restarted.\n`);

    await cli.waitUntil('restarting the worker', (lines) => lines.filter((line) => line.msg === 'worker started')[2]);
    const up = await get('/healthz');
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ok' });
  });

  it('reloads every worker on SIGHUP, with one config reloaded line', async () => {
    // The generated CA is not watched: only SIGHUP makes the workers read it again.
    const replacement = makeCa('Replacement CA');
    writeFiles(path.join(dir, 'ca'), { 'ca.crt': replacement.certPem, 'ca.key': replacement.keyPem });
    cli.child.kill('SIGHUP');
    const reloaded = await cli.waitForLog('config reloaded');
    expect(reloaded).not.toHaveProperty('worker');

    // Trusting only the new CA: a worker still on the old one would fail the handshake.
    const lines = await requestsOnNewConnections(4, replacement.certPem);
    expect(workersOf(lines).size).toBe(2);
    expect(cli.lines.filter((line) => line.msg === 'config reloaded')).toHaveLength(1);
    expect(cli.lines.filter((line) => line.msg === 'config reload failed')).toEqual([]);
  });

  it('reports a config that cannot load once, from the primary, when the file changes', async () => {
    writeFileSync(path.join(dir, 'config.yaml'), `listen:\n  port: 0\nworkers: 2\nclientCertificates:\n${ruleYaml(pki, 'api.example.com', 'alice')}    verify: maybe\n`);
    const failed = await cli.waitForLog('config reload failed');
    expect(failed).not.toHaveProperty('worker');
    expect(failed.error).toBe(`${path.join(dir, 'config.yaml')}: clientCertificates[0].verify: must be true or false, not a string`);
    // Still served by both workers, on the config before.
    const lines = await requestsOnNewConnections(2, readFileSync(path.join(dir, 'ca', 'ca.crt'), 'utf8'));
    expect(workersOf(lines).size).toBe(2);
    expect(cli.lines.filter((line) => line.msg === 'config reload failed')).toHaveLength(1);
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const pids = cli.lines.filter((line) => line.msg === 'worker started').map((line) => line.pid as number);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(cli.lines.filter((line) => line.level >= 50 && line.msg !== 'config reload failed')).toEqual([]);
  });
});

describe('mtls-proxy start with workers: 2, when the port is taken', () => {
  it('exits 2 with the one error line a single process prints, and leaves no worker behind', async () => {
    const taken: Server = await new Promise((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
    });
    try {
      const { port: takenPort } = taken.address() as AddressInfo;
      writeFileSync(path.join(dir, 'taken.yaml'), `listen:\n  port: ${takenPort}\nworkers: 2\n`);
      const failed = startCli(['start', '-c', 'taken.yaml'], { cwd: dir });
      // Resolved once stdout closes: a worker left running would hold it open.
      expect(await failed.exited).toBe(2);
      expect(failed.stderr()).toBe(
        `error: ${path.join(dir, 'taken.yaml')}: listen.port: 127.0.0.1:${takenPort} is already in use by another program; stop it, or choose another port with --port (npm start -- --port N) or listen.port\n`,
      );
      expect(failed.lines.filter((line) => line.msg === 'listening' || line.msg === 'worker started')).toEqual([]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe('mtls-proxy check, on workers', () => {
  it('accepts auto', async () => {
    writeFileSync(path.join(dir, 'auto.yaml'), 'workers: auto\n');
    const result = await runCli(['check', '-c', 'auto.yaml'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    ['0', 'must be at least 1'],
    ['two', 'must be a whole number from 1 up, or auto'],
  ])('rejects workers: %s', async (value, reason) => {
    writeFileSync(path.join(dir, 'bad.yaml'), `workers: ${value}\n`);
    const result = await runCli(['check', '-c', 'bad.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: ${path.join(dir, 'bad.yaml')}: workers: ${reason}\n`);
  });
});
