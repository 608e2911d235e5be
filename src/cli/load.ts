import { loadConfigIsolated } from '../config/load-isolated.js';
import type { ConfigOverrides } from '../config/load.js';
import type { Config, LogFormat, LogLevel } from '../config/types.js';
import { UsageError, type CliArgs } from './args.js';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];
const FORMATS: readonly LogFormat[] = ['json', 'pretty'];

function oneOf<T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** The config for a command: the file it names (or finds) with the command line's overrides. */
export function configFor(args: CliArgs): Promise<Config> {
  const overrides: ConfigOverrides = {};
  if (args.host !== undefined) overrides.host = args.host;
  if (args.port !== undefined) overrides.port = args.port;
  const level = oneOf('log-level', args.logLevel, LEVELS);
  if (level) overrides.logLevel = level;
  const format = oneOf('log-format', args.logFormat, FORMATS);
  if (format) overrides.logFormat = format;
  return loadConfigIsolated({ ...(args.config !== undefined ? { file: args.config } : {}), env: process.env, cwd: process.cwd(), overrides });
}
