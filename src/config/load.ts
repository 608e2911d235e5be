import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, ConfigErrors } from '../errors.js';
import { deepFreeze } from './freeze.js';
import { draftConfig, type ConfigDraft, type ConfigOverrides } from './parse.js';
import type { Config } from './types.js';

export { parseConfig, type ConfigOverrides } from './parse.js';

export interface LoadOptions {
  /** `-c FILE`; relative to `cwd`. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  overrides?: ConfigOverrides;
}

/**
 * The config file to use, as an absolute path: `file`, else $MTLS_PROXY_CONFIG,
 * else `config.yaml` in `cwd` when it exists, else null (the built-in defaults).
 */
export function findConfigFile(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string }): string | null {
  const cwd = options.cwd ?? process.cwd();
  const named = options.file ?? (options.env ?? process.env).MTLS_PROXY_CONFIG;
  if (named !== undefined && named !== '') return path.resolve(cwd, named);
  const local = path.join(cwd, 'config.yaml');
  return existsSync(local) ? local : null;
}

/**
 * Finds, reads and parses the config, then reads every passphraseFile.
 * Throws ConfigError (code ERR_CONFIG_FILE) when the config file cannot be
 * read, and ConfigErrors for every other problem.
 */
export async function loadConfig(options: LoadOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = findConfigFile({ file: options.file, env, cwd });
  const text = file === null ? '' : await readConfigText(file);
  const draft = draftConfig(text, file, env, options.overrides ?? {}, cwd);
  const passphrases = await readPassphraseFiles(draft);
  return deepFreeze({
    ...draft.config,
    clientCertificates: draft.config.clientCertificates.map((rule) =>
      passphrases.has(rule.index) ? { ...rule, passphrase: passphrases.get(rule.index) } : rule,
    ),
  });
}

async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read the config file: ${describeFsError(err)}`, {
      code: 'ERR_CONFIG_FILE',
      cause: err,
    });
  }
}

/** Passphrases by rule index; one error per unreadable file, never its content. */
async function readPassphraseFiles(draft: ConfigDraft): Promise<Map<number, string>> {
  const { passphraseFiles } = draft;
  const results = await Promise.allSettled(passphraseFiles.map((entry) => readFile(entry.path, 'utf8')));
  const passphrases = new Map<number, string>();
  const errors: ConfigError[] = [];
  results.forEach((result, i) => {
    const { index, path: passphraseFile } = passphraseFiles[i]!;
    if (result.status === 'fulfilled') {
      passphrases.set(index, result.value.replace(/\r?\n$/, ''));
      return;
    }
    const reason = `cannot read ${JSON.stringify(passphraseFile)}: ${describeFsError(result.reason)}`;
    const fieldPath = `clientCertificates[${index}].passphraseFile`;
    errors.push(new ConfigError(draft.config.file, fieldPath, reason, { cause: result.reason }));
  });
  if (errors.length > 0) throw new ConfigErrors(errors);
  return passphrases;
}

function describeFsError(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    default:
      return (err as Error).message;
  }
}
