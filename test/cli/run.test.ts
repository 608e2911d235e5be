import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP } from '../clients/app.js';
import { configuredUpstream, type ConfiguredUpstream } from '../clients/fixtures.js';
import { node24Bin } from '../clients/node24.js';
import { CLI_PATH, runCli } from '../helpers/cli.js';

let setup: ConfiguredUpstream;
let app: string;

beforeAll(async () => {
  setup = await configuredUpstream();
  app = path.join(setup.dir, 'app.mjs');
  writeFileSync(app, APP);
});
afterAll(() => setup?.close());

const run = (command: readonly string[], extra: { env?: Record<string, string>; args?: string[] } = {}) =>
  runCli(['run', '-c', setup.config, ...(extra.args ?? []), '--', ...command], { cwd: setup.dir, ...(extra.env ? { env: extra.env } : {}) });

/** stdout is the command's alone: not one JSON log line in it. */
function expectNoLogLines(stdout: string): void {
  expect(stdout).not.toMatch(/"msg":/);
}

/** The JSON log lines the proxy wrote on stderr. */
function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('run -- curl', () => {
  it("reaches an upstream that requires a client certificate, with the rule's certificate and no CA option", async () => {
    const result = await run(['curl', '-sS', '--fail', 'https://api.example.com/hello?q=1']);
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);
    const seen = JSON.parse(result.stdout) as { clientCert: string; url: string };
    expect(seen.clientCert).toBe(setup.pki.alice.fingerprint256);
    expect(seen.url).toBe('/hello?q=1');
    const lines = logLines(result.stderr);
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['listening', 'upstream tls', 'request']));
    expect(lines.find((line) => line.msg === 'listening')).toMatchObject({ host: '127.0.0.1' });
  });

  it("the command's own options after -- are its own, even those mtls-proxy also has", async () => {
    const result = await run(['sh', '-c', 'printf "%s|" "$@"', 'sh', '--version', '-c', 'x', '--', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('--version|-c|x|--|--help|');
  });

  it('--log-level quiets the proxy; stdout never holds its lines', async () => {
    const result = await run(['curl', '-sS', 'https://api.example.com/'], { args: ['--log-level', 'warn'] });
    expect(result.code).toBe(0);
    expectNoLogLines(result.stdout);
    expect(logLines(result.stderr).filter((line) => (line.level as number) < 40)).toEqual([]);
  });

  it('pretty log lines go to stderr too', async () => {
    const config = path.join(setup.dir, 'pretty.yaml');
    writeFileSync(config, 'listen:\n  port: 0\nca:\n  dir: ./ca\nlog:\n  format: pretty\n');
    try {
      const result = await runCli(['run', '-c', config, '--', 'echo', 'only this'], { cwd: setup.dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('only this\n');
      expect(result.stderr).toMatch(/INFO.*listening/);
    } finally {
      rmSync(config);
    }
  });

  it('listens on loopback for the command, whatever listen.allow and listen.auth say', async () => {
    const config = path.join(setup.dir, 'guarded.yaml');
    const yaml = readFileSync(setup.config, 'utf8').replace('port: 0', 'port: 0\n  allow: [10.0.0.0/8]\n  auth: { username: me, password: "p@ss:w\'rd" }');
    writeFileSync(config, yaml);
    try {
      const result = await runCli(['run', '-c', config, '--', 'curl', '-sS', '--fail', 'https://api.example.com/guarded'], { cwd: setup.dir });
      expect(result.stderr).not.toMatch(/error:|curl:/);
      expect(JSON.parse(result.stdout)).toMatchObject({ url: '/guarded', clientCert: setup.pki.alice.fingerprint256 });
    } finally {
      rmSync(config);
    }
  });

  it('writes nothing beside the config but the CA folder', async () => {
    expect(readdirSync(setup.dir).sort()).toEqual(['app.mjs', 'ca', 'config.yaml']);
    expect(readdirSync(path.join(setup.dir, 'ca')).sort()).toEqual(['bundle.pem', 'ca.crt', 'ca.key']);
  });
});

describe('run: exit codes', () => {
  it("passes the command's exit code on", async () => {
    expect((await run(['sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await run(['true'])).code).toBe(0);
  });

  it('128 + the signal number when a signal ended the command', async () => {
    expect((await run(['sh', '-c', 'kill -TERM $$'])).code).toBe(143);
    expect((await run(['sh', '-c', 'kill -KILL $$'])).code).toBe(137);
  });

  it('127 with an error: line when the command cannot be started', async () => {
    const result = await run(['no-such-command-mtls-proxy']);
    expect(result.code).toBe(127);
    expect(result.stderr).toMatch(/^error: cannot start no-such-command-mtls-proxy: no such command on PATH$/m);
  });

  it('2 for a configuration error, before anything runs', async () => {
    const result = await runCli(['run', '-c', path.join(setup.dir, 'missing.yaml'), '--', 'touch', 'ran'], { cwd: setup.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .*missing\.yaml: cannot read the config file/m);
  });

  it('2 for a run without a command', async () => {
    const result = await runCli(['run', '-c', setup.config], { cwd: setup.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: run needs a command/m);
  });
});

describe('run: signals', () => {
  it.each([
    ['SIGTERM', 5],
    ['SIGINT', 6],
  ] as const)('forwards %s to the command, exits with its code and leaves no process behind', async (signal, code) => {
    const script = `process.on('${signal}', () => process.exit(${code})); setInterval(() => {}, 1000); process.stdout.write(String(process.pid) + '\\n');`;
    const child = spawn(process.execPath, [CLI_PATH, 'run', '-c', setup.config, '--', process.execPath, '-e', script], {
      cwd: setup.dir,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('\n')) resolve(Number(stdout.trim()));
      });
      child.once('close', () => reject(new Error('run ended before the command started')));
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    child.kill(signal);
    expect(await exited).toBe(code);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});

describe.each([
  ['Node 20', () => path.dirname(process.execPath)],
  ['Node 24', node24Bin],
])('run -- node app.mjs on %s', (_name, bin) => {
  let env: Record<string, string>;
  let plain: Server;
  let plainPort: number;

  beforeAll(async () => {
    env = { PATH: `${bin()}:${process.env.PATH ?? ''}` };
    plain = createServer((req, res) => res.end(`plain ${req.url}`));
    // 127.0.0.2 is not in NO_PROXY: only an agent of the program's own reaches it directly.
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.2', resolve));
    plainPort = (plain.address() as AddressInfo).port;
  }, 600_000);
  afterAll(() => new Promise<void>((resolve) => (plain ? plain.close(() => resolve()) : resolve())));

  it.each(['fetch', 'https'])('%s reaches the upstream with the rule certificate', async (mode) => {
    const result = await run(['node', app, mode], { env });
    expect(result.stderr).not.toMatch(/app error|error:/);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ clientCert: setup.pki.alice.fingerprint256, url: `/via-${mode}` });
  });

  it('plain http through the global agent goes through the proxy; an agent of its own goes direct', async () => {
    const url = `http://127.0.0.2:${plainPort}/p`;
    const global = await run(['node', app, 'global-http', url], { env });
    expect(global.stdout).toBe('plain /p');
    const own = await run(['node', app, 'own-agent', url], { env });
    expect(own.stdout).toBe('plain /p');
    const throughProxy = (stderr: string): boolean => logLines(stderr).some((line) => line.host === '127.0.0.2');
    expect(throughProxy(global.stderr)).toBe(true);
    expect(throughProxy(own.stderr)).toBe(false);
  });

  it("the preload installs its agent on Node 20 and leaves Node 24's own proxy support alone", async () => {
    const result = await run(['node', app, 'agent'], { env });
    const version = (await run(['node', '-p', 'process.versions.node'], { env })).stdout.trim();
    expect(result.stdout).toBe(Number(version.split('.')[0]) >= 24 ? 'Agent' : 'TunnelHttpsAgent');
  });
});
