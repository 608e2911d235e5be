import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, STACK_FRAME, tempDir, type RunningCli } from '../helpers/cli.js';
import { BOB_PASS, configYaml, THREE_RULES, writeCliPki } from './fixtures.js';

let dir: string;
let remove: () => void;
const running = new Set<RunningCli>();

beforeAll(() => {
  ({ dir, remove } = tempDir('cli-start'));
  writeCliPki(dir);
  writeFileSync(path.join(dir, 'config.yaml'), configYaml(THREE_RULES));
});
afterAll(() => {
  // A failed assertion must not leave a proxy running.
  for (const cli of running) cli.child.kill('SIGKILL');
  remove();
});

function start(args: string[], env: Record<string, string> = { BOB_PASS }): RunningCli {
  const cli = startCli(['start', ...args], { cwd: dir, env });
  running.add(cli);
  void cli.exited.then(() => running.delete(cli));
  return cli;
}

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('mtls-proxy start', () => {
  it('logs `listening` as JSON, answers /healthz, and exits 0 on SIGTERM', async () => {
    const cli = start(['--port', '0']);
    const listening = await cli.waitForLog('listening');
    expect(listening).toMatchObject({ level: 30, host: '127.0.0.1', caCert: path.join(dir, 'ca', 'ca.crt'), rules: 3 });
    expect(typeof listening.time).toBe('number');
    expect(listening.port).toBeGreaterThan(0);
    expect(existsSync(path.join(dir, 'ca', 'ca.crt'))).toBe(true);

    const response = await fetch(`http://127.0.0.1:${listening.port as number}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    for (const line of cli.lines) expect(line).toEqual(expect.objectContaining({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) }));
    expect(cli.stderr()).toBe('');
  });

  it('makes no write calls while idle: the log is flushed only when a line waits', async () => {
    const cli = start(['--port', '0']);
    await cli.waitForLog('listening');
    // Write syscalls of the whole process so far (Linux's per-process I/O accounting).
    const writes = (): number => Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${cli.child.pid}/io`, 'utf8'))![1]);
    // The listening line's own flush happens within 100 ms.
    await sleep(300);
    // On a loaded machine the tail of start-up (background threads, the thread pool's and
    // V8's, wake the loop with an eventfd write) can spill into a second or two; a process that
    // is idle for good has a quiet second soon. Ten empty writes a second, each waking
    // the event loop, before this was fixed: no second was ever quiet.
    let quietest = Infinity;
    for (let second = 0; second < 5 && quietest >= 3; second++) {
      const before = writes();
      await sleep(1000);
      quietest = Math.min(quietest, writes() - before);
    }
    expect(quietest).toBeLessThan(3);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it("does not load Node's own undici: from Node 22, importing node:http as an ES module reads its WebSocket export, which does", async () => {
    const probe = path.join(dir, 'loaded-modules.cjs');
    // Each process writes its own list (the config is read in a child that runs the probe too).
    writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(dir)} + '/modules-' + process.pid, process.moduleLoadList.join('\\n')));`);
    const cli = start(['--port', '0'], { BOB_PASS, NODE_OPTIONS: `--require ${probe}` });
    await cli.waitForLog('listening');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const loaded = readFileSync(path.join(dir, `modules-${cli.child.pid}`), 'utf8').split('\n');
    expect(loaded).toContain('NativeModule http');
    expect(loaded).not.toContain('NativeModule internal/deps/undici/undici');
  });

  it('exits 0 on SIGINT (Ctrl-C) too', async () => {
    const cli = start(['--port', '0']);
    await cli.waitForLog('listening');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it('takes --port over the file', async () => {
    const port = await freePort();
    const cli = start(['--port', String(port)]);
    expect((await cli.waitForLog('listening')).port).toBe(port);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('takes --log-level over the file', async () => {
    // Every certificate is within warnExpiryDays, so `certificate expiring` (warn) comes just before `listening` (info).
    writeFileSync(path.join(dir, 'expiring.yaml'), configYaml(`warnExpiryDays: 400\n${THREE_RULES}`));
    const cli = start(['-c', 'expiring.yaml', '--log-level', 'warn']);
    await cli.waitForLog('certificate expiring');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.lines.filter((line) => line.msg === 'certificate expiring')).toHaveLength(3);
    expect(cli.lines.filter((line) => line.level < 40)).toEqual([]);
  });

  it('exits 2 without listening when the config is not usable', async () => {
    const cli = start(['--port', '0'], {});
    expect(await cli.exited).toBe(2);
    expect(cli.lines.filter((line) => line.msg === 'listening')).toEqual([]);
    expect(cli.stderr()).toBe(
      `error: ${path.join(dir, 'config.yaml')}: clientCertificates[1].passphrase: uses \${BOB_PASS}, but the environment variable BOB_PASS is not set\n`,
    );
    expect(cli.stderr()).not.toMatch(STACK_FRAME);
  });

  it('exits 2 and says so when the port is taken', async () => {
    const taken: Server = await new Promise((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
    });
    try {
      const { port } = taken.address() as { port: number };
      const result = await runCli(['start', '--port', String(port)], { cwd: dir, env: { BOB_PASS } });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `error: ${path.join(dir, 'config.yaml')}: listen.port: 127.0.0.1:${port} is already in use by another program; stop it, or choose another port with --port (npm start -- --port N) or listen.port\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
