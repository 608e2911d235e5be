import { parseArgs } from 'node:util';
import { MtlsProxyError } from '../errors.js';

export const COMMANDS = ['start', 'check', 'match', 'ca'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  command: Command | 'help' | 'version';
  config?: string;
  host?: string;
  port?: number;
  logLevel?: string;
  logFormat?: string;
  der: boolean;
  out?: string;
  debug: boolean;
  positionals: string[];
}

/** Options each command accepts, so `check --port 1` is a usage error rather than silently ignored. */
const ALLOWED: Record<Command, readonly string[]> = {
  start: ['config', 'host', 'port', 'log-level', 'log-format', 'debug'],
  check: ['config', 'debug'],
  match: ['config', 'debug'],
  ca: ['config', 'der', 'out', 'debug'],
};

export class UsageError extends MtlsProxyError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

export function parseCli(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        der: { type: 'boolean', default: false },
        out: { type: 'string' },
        debug: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
  const { values, positionals } = parsed;
  const base = { der: values.der ?? false, debug: values.debug ?? false };
  if (values.help || positionals[0] === 'help') return { ...base, command: 'help', positionals: [] };
  if (values.version) return { ...base, command: 'version', positionals: [] };
  const [command, ...rest] = positionals;
  if (command === undefined) return { ...base, command: 'help', positionals: [] };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}"; the commands are ${COMMANDS.join(', ')}`);
  }
  const cmd = command as Command;
  for (const [name, value] of Object.entries(values)) {
    if (['help', 'version', 'der', 'debug'].includes(name) && value === false) continue;
    if (!ALLOWED[cmd].includes(name)) throw new UsageError(`the option --${name} does not apply to "${cmd}"`);
  }
  const expected = cmd === 'match' ? 1 : 0;
  if (rest.length !== expected) {
    throw new UsageError(cmd === 'match' ? 'match takes one HOST[:PORT]' : `"${cmd}" takes no arguments, got "${rest.join(' ')}"`);
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got "${values.port}"`);
  }
  return {
    ...base,
    command: cmd,
    positionals: rest,
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values['log-level'] !== undefined ? { logLevel: values['log-level'] } : {}),
    ...(values['log-format'] !== undefined ? { logFormat: values['log-format'] } : {}),
    ...(values.out !== undefined ? { out: values.out } : {}),
  };
}
