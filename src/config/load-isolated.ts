/**
 * loadConfig in a short-lived child process. Validation and YAML parsing (zod and
 * yaml) then never load into the proxy, which keeps about 10 MiB less resident for
 * its whole life, against some 100 ms more at start. A worker thread saved only
 * 7 MiB: the memory it touched stays with the process after the thread ends.
 */
import { fork } from 'node:child_process';
import { ConfigError, ConfigErrors, MtlsProxyError } from '../errors.js';
import { packageFile } from '../package-files.js';
import { deepFreeze } from './freeze.js';
import type { LoadOptions } from './load.js';
import type { Config } from './types.js';

/** What the child sends back: errors as plain data, since class instances do not cross processes. */
export type LoadOutcome =
  | { readonly config: Config }
  | { readonly configErrors: ReadonlyArray<{ file: string | null; path: string; reason: string; code: string }> }
  | { readonly failure: { code: string | null; message: string; stack: string | undefined } };

/** Turns loadConfig's result or error into a message for the process that asked. */
export function outcomeOf(result: { config: Config } | { error: unknown }): LoadOutcome {
  return 'config' in result ? { config: result.config } : failureOf(result.error);
}

/** An error as plain data that crosses to another process. */
export function failureOf(error: unknown): FailureOutcome {
  const errors = error instanceof ConfigErrors ? error.errors : error instanceof ConfigError ? [error] : null;
  if (errors) return { configErrors: errors.map((e) => ({ file: e.file, path: e.path, reason: e.reason, code: e.code })) };
  const err = error instanceof Error ? error : new Error(String(error));
  return { failure: { code: err instanceof MtlsProxyError ? err.code : null, message: err.message, stack: err.stack } };
}

/** A failed outcome: what crosses a process boundary in place of an error. */
export type FailureOutcome = Exclude<LoadOutcome, { config: Config }>;

/** The error a failed outcome stands for, ConfigErrors as ConfigErrors again. */
export function errorOf(outcome: FailureOutcome): Error {
  if ('configErrors' in outcome) {
    const errors = outcome.configErrors.map((e) => new ConfigError(e.file, e.path, e.reason, { code: e.code }));
    return errors.length === 1 ? errors[0]! : new ConfigErrors(errors);
  }
  const { code, message, stack } = outcome.failure;
  const err = code === null ? new Error(message) : new MtlsProxyError(code, message);
  err.stack = stack;
  return err;
}

export function loadConfigIsolated(options: LoadOptions): Promise<Config> {
  return new Promise((resolve, reject) => {
    // No execArgv: an --inspect or --cpu-prof meant for the proxy must not start twice.
    const child = fork(packageFile('config/load-child.js'), [], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let outcome: LoadOutcome | undefined;
    child.once('message', (message: LoadOutcome) => (outcome = message));
    child.once('error', reject);
    // Answered only once the child is gone, so that its memory is too.
    child.once('exit', () => {
      if (outcome === undefined) reject(new MtlsProxyError('ERR_INTERNAL', 'The config loader ended without an answer.'));
      else if ('config' in outcome) resolve(deepFreeze(outcome.config));
      else reject(errorOf(outcome));
    });
    child.send(options);
  });
}
