import path from 'node:path';
import { ConfigError, ConfigErrors } from '../errors.js';
import { substituteEnv } from './env.js';
import { formatFieldPath } from './field-path.js';
import { configErrorsFromIssues, describeIssue } from './issues.js';
import { deepFreeze } from './freeze.js';
import { configSchema, type ParsedConfig } from './schema.js';
import type { ClientCertificateRule, Config, LogFormat, LogLevel } from './types.js';
import { isMapping, parseYaml } from './yaml.js';

/** Command-line options that win over the file. */
export interface ConfigOverrides {
  host?: string;
  port?: number;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

/** A parsed config before the passphrase files it names are read. */
export interface ConfigDraft {
  /** Not frozen: loadConfig still fills in passphrases from passphraseFile. */
  readonly config: Config;
  readonly passphraseFiles: ReadonlyArray<{ readonly index: number; readonly path: string }>;
}

/**
 * Config text to a frozen Config, without touching the file system: YAML,
 * `${NAME}` from `env`, overrides, schema and defaults, then paths resolved
 * against the config file's folder (the working folder when `file` is null).
 * A rule with passphraseFile gets no passphrase here; loadConfig reads it.
 * Throws ConfigErrors listing every problem found.
 */
export function parseConfig(
  text: string,
  file: string | null,
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides = {},
): Config {
  return deepFreeze(draftConfig(text, file, env, overrides, process.cwd()).config);
}

export function draftConfig(
  text: string,
  file: string | null,
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides,
  cwd: string,
): ConfigDraft {
  const configFile = file === null ? null : path.resolve(cwd, file);
  // Substituting before validation means a value from the environment is checked like a written one.
  const substituted = substituteEnv(parseYaml(text, configFile), env);
  const envErrors = substituted.problems.map(
    (problem) => new ConfigError(configFile, formatFieldPath(problem.path), problem.reason),
  );
  const result = configSchema.safeParse(withOverrides(substituted.value, overrides), { error: describeIssue });
  if (!result.success || envErrors.length > 0) {
    const envPaths = new Set(envErrors.map((err) => err.path));
    const schemaErrors = result.success ? [] : configErrorsFromIssues(result.error.issues, configSchema, configFile);
    // A value whose variable is unset fails the schema too; its first reason is the one to fix.
    throw new ConfigErrors([...envErrors, ...schemaErrors.filter((err) => !envPaths.has(err.path))]);
  }
  const baseDir = configFile === null ? cwd : path.dirname(configFile);
  // log.keylog is relative to the config file; $SSLKEYLOGFILE, like any variable, to the working folder.
  const sslKeyLogFile = env.SSLKEYLOGFILE ? path.resolve(cwd, env.SSLKEYLOGFILE) : undefined;
  return resolvePaths(result.data, configFile, baseDir, sslKeyLogFile);
}

function withOverrides(data: unknown, overrides: ConfigOverrides): unknown {
  if (!isMapping(data)) return data;
  const listen = { host: overrides.host, port: overrides.port };
  return overrideSection(overrideSection(data, 'listen', listen), 'log', {
    level: overrides.logLevel,
    format: overrides.logFormat,
  });
}

function overrideSection(
  data: Record<string, unknown>,
  key: string,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const given = Object.entries(values).filter(([, value]) => value !== undefined);
  const section = data[key] ?? {};
  // A section that is not a mapping stays as written, for the schema to reject.
  if (given.length === 0 || !isMapping(section)) return data;
  return { ...data, [key]: { ...section, ...Object.fromEntries(given) } };
}

function resolvePaths(parsed: ParsedConfig, file: string | null, baseDir: string, sslKeyLogFile: string | undefined): ConfigDraft {
  const at = (p: string): string => path.resolve(baseDir, p);
  const optionalAt = (p: string | undefined): string | undefined => (p === undefined ? undefined : at(p));
  const passphraseFiles: Array<{ index: number; path: string }> = [];
  const clientCertificates = parsed.clientCertificates.map((rule, index): ClientCertificateRule => {
    if (rule.passphraseFile !== undefined) passphraseFiles.push({ index, path: at(rule.passphraseFile) });
    return {
      index,
      host: rule.host,
      ports: rule.port,
      cert: optionalAt(rule.cert),
      key: optionalAt(rule.key),
      pfx: optionalAt(rule.pfx),
      passphrase: rule.passphrase,
      passphraseFile: optionalAt(rule.passphraseFile),
      ca: rule.ca.map(at),
      verify: rule.verify,
      minVersion: rule.minVersion,
    };
  });
  const config: Config = {
    file,
    listen: parsed.listen,
    ca: { ...parsed.ca, dir: at(parsed.ca.dir), cert: optionalAt(parsed.ca.cert), key: optionalAt(parsed.ca.key) },
    intercept: parsed.intercept,
    upstream: { ...parsed.upstream, ca: parsed.upstream.ca.map(at) },
    clientCertificates,
    log: { level: parsed.log.level, format: parsed.log.format, ...keylogOf(optionalAt(parsed.log.keylog) ?? sslKeyLogFile) },
    warnExpiryDays: parsed.warnExpiryDays,
    timeouts: parsed.timeouts,
    limits: parsed.limits,
    workers: parsed.workers,
  };
  return { config, passphraseFiles };
}

function keylogOf(file: string | undefined): { keylog?: string } {
  return file === undefined ? {} : { keylog: file };
}
