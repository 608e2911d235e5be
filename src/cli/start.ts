import { refreshBundle } from '../clients/bundle.js';
import type { Config } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { formatAuthority } from '../match/host.js';
import { startProxy } from '../proxy/start.js';
import { startReloading, type Reloader } from '../reload/reloader.js';
import type { CliArgs } from './args.js';
import { configFor } from './load.js';

/**
 * Why the listening socket could not be opened, and which listen key to change.
 * The option is shown as `npm start` needs it too: npm keeps a bare `--port 8081`
 * for itself, and only what follows `--` reaches the proxy.
 */
const LISTEN_PROBLEMS: Readonly<Record<string, { field: string; reason: string; option: string }>> = {
  EADDRINUSE: { field: 'listen.port', reason: 'is already in use by another program; stop it, or choose another port', option: '--port N' },
  EACCES: { field: 'listen.port', reason: 'needs privileges this user lacks (ports below 1024 usually do); choose a port from 1024 up', option: '--port N' },
  EADDRNOTAVAIL: { field: 'listen.host', reason: 'is not an address of this machine; choose another host', option: '--host H' },
};

/** A failure to listen as a config problem in the user's terms; anything else unchanged. */
function listenError(err: unknown, config: Config): unknown {
  const problem = LISTEN_PROBLEMS[(err as NodeJS.ErrnoException).code ?? ''];
  if (problem === undefined) return err;
  const where = formatAuthority(config.listen.host, config.listen.port);
  const flag = problem.option.split(' ')[0]!;
  const how = `with ${flag} (npm start -- ${problem.option}) or ${problem.field}`;
  return new ConfigError(config.file, problem.field, `${where} ${problem.reason} ${how}`, { cause: err });
}

/** Resolves with the first SIGINT or SIGTERM; a second one, left to Node, ends a shutdown that hangs. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** SIGHUP reloads, as for most daemons; without a handler it would end the process. */
function reloadOnHangup(): { reloadWith(reloader: Reloader): void; stop(): void } {
  let reloader: Reloader | null = null;
  // One that comes while the proxy starts is answered once it is up: the files may have changed since they were read.
  let missed = false;
  const onHangup = (): void => {
    if (reloader) void reloader.reload();
    else missed = true;
  };
  process.on('SIGHUP', onHangup);
  return {
    reloadWith: (r) => {
      reloader = r;
      if (missed) void r.reload();
    },
    stop: () => process.off('SIGHUP', onHangup),
  };
}

/** Runs the proxy until SIGINT/SIGTERM, reloading on file changes and SIGHUP. Resolves with the exit code. */
export async function startCommand(args: CliArgs): Promise<number> {
  const load = (): Promise<Config> => configFor(args);
  const config = await load();
  const logger = createLogger(config.log);
  // Handlers in place before `listening` is logged: a supervisor may signal as soon as it reads that line.
  const stopping = stopSignal();
  const hangup = reloadOnHangup();
  const proxy = await startProxy(config, logger).catch((err: unknown) => {
    throw listenError(err, config);
  });
  await refreshBundle(config.ca.dir, proxy.context.ca.certPem);
  const reloader = startReloading(proxy, { load });
  hangup.reloadWith(reloader);

  // A bug in one connection's handling must not take down every other one.
  process.on('uncaughtException', (err) => {
    logger.error({ err }, 'internal error');
  });
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'internal error');
  });

  const signal = await stopping;
  logger.info({ signal }, 'stopping');
  hangup.stop();
  reloader.close();
  await proxy.close();
  logger.flush();
  return 0;
}
