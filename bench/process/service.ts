/**
 * A long-running child (proxy or upstream) with its output in files, so that
 * nothing in the harness spends CPU draining its pipes while it is measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Service {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function startService(options: ServiceOptions): Service {
  const out = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  if (child.pid === undefined) throw new Error(`${options.name} did not start (${options.command}).`);
  return {
    name: options.name,
    pid: child.pid,
    logFile: options.logFile,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** The last lines of a service's log, for error messages. */
function logTail(service: Service, lines = 15): string {
  try {
    return readFileSync(service.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function untilReady<T>(service: Service, timeoutMs: number, probe: () => T | null | Promise<T | null>): Promise<T> {
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== null) return value;
    if (exitCode !== undefined) throw new Error(`${service.name} exited (code ${exitCode}) before it was ready:\n${logTail(service)}`);
    await sleep(50);
  }
  throw new Error(`${service.name} was not ready within ${timeoutMs} ms:\n${logTail(service)}`);
}

/** Waits for a JSON log line `{"msg":"listening","port":N}` and returns N. */
export function waitForListeningLine(service: Service, timeoutMs = 30_000): Promise<number> {
  return untilReady(service, timeoutMs, () => {
    let text: string;
    try {
      text = readFileSync(service.logFile, 'utf8');
    } catch {
      return null;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('"listening"')) continue;
      try {
        const parsed = JSON.parse(line) as { msg?: unknown; port?: unknown };
        if (parsed.msg === 'listening' && typeof parsed.port === 'number') return parsed.port;
      } catch {
        // Not JSON: some other program's line that merely mentions the word.
      }
    }
    return null;
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until something accepts TCP connections on the loopback port. */
export async function waitForPort(service: Service, port: number, timeoutMs = 30_000): Promise<void> {
  await untilReady(service, timeoutMs, async () => ((await accepts(port)) ? true : null));
}
