import { CommandStartError, runThroughProxy } from '../clients/run.js';
import { createLogger } from '../log/logger.js';
import type { CliArgs } from './args.js';
import { reportError } from './errors.js';
import { configFor } from './load.js';

/** `run -- COMMAND`: a proxy of its own on a free loopback port, its log on stderr, the command's exit code. */
export async function runCommand(args: CliArgs): Promise<number> {
  // A listen address the config may not be allowed to bind (0.0.0.0 without auth) is never used.
  const config = await configFor({ ...args, host: '127.0.0.1', port: 0 });
  const logger = createLogger({ ...config.log, fd: 2 });
  try {
    return await runThroughProxy(config, logger, args.positionals);
  } catch (err) {
    if (!(err instanceof CommandStartError)) throw err;
    reportError(err, args.debug);
    return 127;
  } finally {
    logger.flush();
  }
}
