import { parseArgs } from 'node:util';
import { nearest } from '../config/suggest.js';
import { MtlsProxyError } from '../errors.js';

export const COMMANDS = ['start', 'check', 'match', 'ca', 'demo', 'env', 'run', 'trust', 'untrust'] as const;
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
  shell?: string;
  /** trust/untrust: the stores named on the command line. */
  system?: boolean;
  nss?: string[];
  java?: boolean;
  dryRun?: boolean;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  host: { type: 'string' },
  port: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  der: { type: 'boolean', default: false },
  out: { type: 'string' },
  debug: { type: 'boolean', default: false },
  shell: { type: 'string' },
  system: { type: 'boolean' },
  nss: { type: 'string', multiple: true },
  java: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
} as const;

/** Options each command accepts, so `check --port 1` is a usage error rather than silently ignored. */
const ALLOWED: Record<Command, readonly string[]> = {
  start: ['config', 'host', 'port', 'log-level', 'log-format', 'debug'],
  check: ['config', 'debug'],
  match: ['config', 'debug'],
  ca: ['config', 'der', 'out', 'debug'],
  demo: ['debug'],
  env: ['config', 'shell', 'debug'],
  run: ['config', 'log-level', 'debug'],
  trust: ['config', 'system', 'nss', 'java', 'dry-run', 'debug'],
  untrust: ['config', 'system', 'nss', 'java', 'dry-run', 'debug'],
};

/** How many positionals each command takes, and what to say otherwise. */
function positionalProblem(cmd: Command, rest: readonly string[]): string | undefined {
  if (cmd === 'run') return rest.length === 0 ? 'run needs a command: mtls-proxy run -- COMMAND [ARGS...]' : undefined;
  const expected = cmd === 'match' ? 1 : 0;
  if (rest.length === expected) return undefined;
  return cmd === 'match' ? 'match takes one HOST[:PORT] or URL' : `"${cmd}" takes no arguments, got "${rest.join(' ')}"`;
}

export class UsageError extends MtlsProxyError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}


/** node:util's parse errors, which suggest `--` tricks and quote oddly, in plain words. */
function usageErrorOf(err: unknown): UsageError {
  const message = err instanceof Error ? err.message : String(err);
  const option = /'([^']+)'/.exec(message)?.[1] ?? '';
  const code = (err as { code?: unknown }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const guess = nearest(option.replace(/^--?/, '').replace(/=.*/, ''), Object.keys(OPTIONS));
    return new UsageError(`unknown option ${option}${guess === undefined ? '' : `; did you mean --${guess}?`}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = option.replace(/ <value>$/, '');
    return new UsageError(/argument missing/.test(message) ? `${name} needs a value` : `${name} takes no value`);
  }
  return new UsageError(message.split('\n')[0]!);
}

export function parseCli(argv: readonly string[]): CliArgs {
  // Everything after the first `--` is `run`'s COMMAND, its own options included: never parsed here.
  const dashes = argv.indexOf('--');
  const own = dashes === -1 ? argv : argv.slice(0, dashes);
  const afterDashes = dashes === -1 ? [] : argv.slice(dashes + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: [...own], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (err) {
    throw usageErrorOf(err);
  }
  const { values } = parsed;
  const positionals = [...parsed.positionals, ...afterDashes];
  const base = { der: values.der, debug: values.debug };
  if (values.help || positionals[0] === 'help') return { ...base, command: 'help', positionals: [] };
  if (values.version) return { ...base, command: 'version', positionals: [] };
  const [command, ...rest] = positionals;
  if (command === undefined) return { ...base, command: 'help', positionals: [] };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    const guess = nearest(command, COMMANDS);
    throw new UsageError(
      guess === undefined
        ? `unknown command "${command}"; the commands are ${COMMANDS.join(', ')}`
        : `unknown command "${command}"; did you mean "${guess}"?`,
    );
  }
  const cmd = command as Command;
  for (const [name, value] of Object.entries(values)) {
    if (value === false) continue;
    if (!ALLOWED[cmd].includes(name)) throw new UsageError(`the option --${name} does not apply to "${cmd}"`);
  }
  const problem = positionalProblem(cmd, rest);
  if (problem !== undefined) throw new UsageError(problem);
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
    ...(values.shell !== undefined ? { shell: values.shell } : {}),
    ...(values.system !== undefined ? { system: values.system } : {}),
    ...(values.nss !== undefined ? { nss: values.nss } : {}),
    ...(values.java !== undefined ? { java: values.java } : {}),
    ...(values['dry-run'] !== undefined ? { dryRun: values['dry-run'] } : {}),
  };
}
