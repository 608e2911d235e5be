/**
 * Runs the built CLI (dist/cli.js) as a user would: a child process with its own
 * working folder and an explicit environment, so nothing leaks in from the
 * shell that runs the tests (MTLS_PROXY_CONFIG above all).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

if (!existsSync(CLI_PATH)) {
  throw new Error(`${CLI_PATH} is missing: run \`npm run build\` before the CLI tests`);
}

export interface CliResult {
  /** null when the process died of a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Another copy of the built CLI, such as one installed the way the Docker image installs it. */
  readonly cliPath?: string;
  readonly cwd: string;
  /** Added to PATH, the only variable inherited. */
  readonly env?: Readonly<Record<string, string>>;
  /** Run as this user and group id instead of the test's (needs root). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

/** PATH (for openssl and friends) and nothing else from the parent. */
function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ...extra };
}

function spawnCli(args: readonly string[], options: CliOptions): ChildProcess {
  return spawn(process.execPath, [options.cliPath ?? CLI_PATH, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options.user,
  });
}

/** Runs one command to its end. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs one command and returns stdout as bytes (for `ca --der`). */
export function runCliBinary(args: readonly string[], options: CliOptions): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawnCli(args, options);
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }));
  });
}

export type LogLine = Record<string, unknown> & { level: number; time: number; msg: string };

export interface RunningCli {
  readonly child: ChildProcess;
  /** Every JSON line written to stdout so far. */
  readonly lines: LogLine[];
  stderr(): string;
  /** The first line with this msg; rejects if the process ends before writing one. */
  waitForLog(msg: string): Promise<LogLine>;
  /** What `found` returns once it returns something, checked after each new output; rejects if the process ends first. */
  waitUntil<T>(what: string, found: (lines: readonly LogLine[]) => T | undefined): Promise<T>;
  /** Exit code (null on a signal) once the process has ended. */
  readonly exited: Promise<number | null>;
}

/** Starts a long-running command (`start`) and parses its JSON log lines as they come. */
export function startCli(args: readonly string[], options: CliOptions): RunningCli {
  const child = spawnCli(args, options);
  const lines: LogLine[] = [];
  let stderr = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const text of parts) if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      for (const wake of waiters) wake();
      resolve(code);
    });
  });
  const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLog: (msg) => waitUntil(`logging "${msg}"`, (all) => all.find((line) => line.msg === msg)),
    waitUntil,
  };

  function waitUntil<T>(what: string, found: (all: readonly LogLine[]) => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = found(lines);
        if (hit !== undefined) {
          waiters.delete(check);
          resolve(hit);
        } else if (ended()) {
          waiters.delete(check);
          reject(new Error(`mtls-proxy ${args.join(' ')} exited before ${what}; stderr: ${stderr}`));
        }
      };
      waiters.add(check);
      check();
    });
  }
}

/** A fresh folder under the system temp dir, and a function that removes it. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `mtls-proxy-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Lines that look like a JavaScript stack frame. */
export const STACK_FRAME = /^\s+at .+/m;
