import { createLogger } from '../log/logger.js';
import { startProxy } from '../proxy/start.js';
import type { CliArgs } from './args.js';
import { configFor } from './load.js';

/** Runs the proxy until SIGINT/SIGTERM. Resolves with the exit code. */
export async function startCommand(args: CliArgs): Promise<number> {
  const config = await configFor(args);
  const logger = createLogger(config.log);
  const proxy = await startProxy(config, logger);

  // A bug in one connection's handling must not take down every other one.
  process.on('uncaughtException', (err) => {
    logger.error({ err }, 'internal error');
  });
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'internal error');
  });

  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      void proxy.close().finally(() => {
        logger.flush();
        resolve(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
