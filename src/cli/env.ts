import { environmentFor } from '../clients/pointing.js';
import { assignments, SHELLS, type Shell } from '../clients/shell.js';
import { ConfigError } from '../errors.js';
import { UsageError, type CliArgs } from './args.js';
import { configFor } from './load.js';

function shellOf(value: string | undefined): Shell {
  if (value === undefined) return 'sh';
  if (!(SHELLS as readonly string[]).includes(value)) throw new UsageError(`--shell must be one of ${SHELLS.join(', ')}, got "${value}"`);
  return value as Shell;
}

/** Prints the assignments that point a shell's programs at the proxy of the config. */
export async function envCommand(args: CliArgs): Promise<number> {
  const shell = shellOf(args.shell);
  const config = await configFor(args);
  if (config.listen.port === 0) {
    throw new ConfigError(config.file, 'listen.port', 'is 0 (any free port), so no program can be pointed at it; set a fixed port, or use mtls-proxy run -- COMMAND');
  }
  const variables = await environmentFor(config, config.listen, process.env.NODE_OPTIONS);
  process.stdout.write(assignments(shell, variables));
  return 0;
}
