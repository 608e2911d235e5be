/**
 * `run`: a proxy of its own on a free loopback port, one command pointed at it,
 * and the command's exit status passed on as the exit code.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Config } from '../config/types.js';
import { MtlsProxyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { startProxy } from '../proxy/start.js';
import { environmentFor } from './pointing.js';

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The shell's convention: 127 for a command that cannot be started, 128 + n for one ended by signal n. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
}

export class CommandStartError extends MtlsProxyError {
  constructor(command: string, cause: NodeJS.ErrnoException) {
    const reason = cause.code === 'ENOENT' ? 'no such command on PATH' : cause.code === 'EACCES' ? 'permission denied' : cause.message;
    super('ERR_COMMAND_START', `cannot start ${command}: ${reason}`, { cause });
  }
}

/** Runs `command` with the proxy's variables; resolves with its exit code or rejects with CommandStartError. */
function runChild(command: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return new Promise<number>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => reject(new CommandStartError(file, err)));
    child.once('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
  }).finally(() => {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  });
}

/**
 * The proxy listens on 127.0.0.1, port 0, whatever `config` says; listen.allow,
 * written for the shared listener, would only shut out the command. Its log goes
 * through `logger` (stderr).
 */
export async function runThroughProxy(config: Config, logger: Logger, command: readonly string[]): Promise<number> {
  const { auth } = config.listen;
  const own: Config = { ...config, listen: { host: '127.0.0.1', port: 0, ...(auth ? { auth } : {}) } };
  const proxy = await startProxy(own, logger);
  try {
    const variables = await environmentFor(own, { host: proxy.host, port: proxy.port }, process.env.NODE_OPTIONS);
    return await runChild(command, { ...process.env, ...Object.fromEntries(variables) });
  } finally {
    await proxy.close();
  }
}
