import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
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

/** The names `npm start` and the other commands look for in the working folder, preferred first. */
const LOCAL_NAMES = ['config.yaml', 'config.yml'] as const;

/** The file to read, and a local file left unread because a preferred one sits beside it. */
export interface ConfigFileChoice {
  readonly file: string | null;
  readonly ignored: string | null;
}

/**
 * The config file to use, as an absolute path: `file`, else $MTLS_PROXY_CONFIG,
 * else `config.yaml` in `cwd` when it exists, else `config.yml` there, else null
 * (the built-in defaults). `.yml` is what many editors and generators write, so a
 * user who made one expects it to be read.
 */
export function chooseConfigFile(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string }): ConfigFileChoice {
  const cwd = options.cwd ?? process.cwd();
  const named = options.file ?? (options.env ?? process.env).MTLS_PROXY_CONFIG;
  if (named !== undefined && named !== '') return { file: path.resolve(cwd, named), ignored: null };
  const [file = null, ignored = null] = LOCAL_NAMES.map((name) => path.join(cwd, name)).filter((local) => existsSync(local));
  return { file, ignored };
}

export function findConfigFile(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string }): string | null {
  return chooseConfigFile(options).file;
}

/**
 * Finds, reads and parses the config, then reads every passphraseFile. Throws
 * ConfigError (code ERR_CONFIG_FILE) when the config file cannot be read, and
 * ConfigErrors for every problem in its text. An unreadable passphraseFile is
 * left on its rule (passphraseFileProblem) for the certificate store to report
 * with the problems of the files it reads, so that one run names them all.
 */
export async function loadConfig(options: LoadOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const { file, ignored } = chooseConfigFile({ file: options.file, env, cwd });
  const text = file === null ? '' : await readConfigText(file);
  const draft = draftConfig(text, file, env, options.overrides ?? {}, cwd);
  const passphrases = await readPassphraseFiles(draft);
  const loadWarnings = ignored === null ? [] : [`${ignored} is not read: ${file ?? ''} beside it is; merge the two into ${path.basename(file ?? '')} and remove ${path.basename(ignored)}`];
  return deepFreeze({
    ...draft.config,
    clientCertificates: draft.config.clientCertificates.map((rule) => {
      const passphrase = passphrases.get(rule.index);
      if (passphrase === undefined) return rule;
      return 'problem' in passphrase ? { ...rule, passphraseFileProblem: passphrase.problem } : { ...rule, passphrase: passphrase.value };
    }),
    ...(loadWarnings.length > 0 ? { loadWarnings } : {}),
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

/** Each passphraseFile's content, or why it cannot be read (never its content), by rule index. */
async function readPassphraseFiles(draft: ConfigDraft): Promise<Map<number, { value: string } | { problem: string }>> {
  const { passphraseFiles } = draft;
  const results = await Promise.allSettled(passphraseFiles.map((entry) => readFile(entry.path, 'utf8')));
  const passphrases = new Map<number, { value: string } | { problem: string }>();
  results.forEach((result, i) => {
    const { index, path: passphraseFile } = passphraseFiles[i]!;
    passphrases.set(
      index,
      result.status === 'fulfilled'
        ? { value: result.value.replace(/\r?\n$/, '') }
        : { problem: `cannot read ${JSON.stringify(passphraseFile)}: ${describeFsError(result.reason)}` },
    );
  });
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
