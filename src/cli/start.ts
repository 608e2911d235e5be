import cluster from 'node:cluster';
import { refreshBundle } from '../clients/bundle.js';
import { startWorkers } from '../cluster/primary.js';
import { startWorker } from '../cluster/worker.js';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../log/logger.js';
import { listenError } from '../proxy/listen-error.js';
import { startProxy } from '../proxy/start.js';
import { proxyReloadTarget, reloadOnChanges, type Reloader, type ReloadTarget } from '../reload/reloader.js';
import type { CliArgs } from './args.js';
import { configFor } from './load.js';

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

/** A bug in one connection's handling must not take down every other one. */
function logInternalErrors(logger: Logger): void {
  process.on('uncaughtException', (err) => {
    logger.error({ err }, 'internal error');
  });
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'internal error');
  });
}

/** What start runs: one proxy, or the primary of `workers` processes. */
interface Serving extends ReloadTarget {
  readonly caCertPem: string;
  close(): Promise<void>;
}

async function startServing(config: Config, logger: Logger): Promise<Serving> {
  if (config.workers > 1) return startWorkers(config, logger);
  const proxy = await startProxy(config, logger).catch((err: unknown) => {
    throw listenError(err, config);
  });
  return Object.assign(proxyReloadTarget(proxy), { caCertPem: proxy.context.ca.certPem, close: () => proxy.close() });
}

/** A cluster worker (forked by the primary with the same command line) until the primary stops it. */
async function workerCommand(): Promise<number> {
  const worker = await startWorker();
  if (!worker) return 1;
  logInternalErrors(worker.logger);
  await worker.stopping;
  await worker.close();
  return 0;
}

/** Runs the proxy until SIGINT/SIGTERM, reloading on file changes and SIGHUP. Resolves with the exit code. */
export async function startCommand(args: CliArgs): Promise<number> {
  if (cluster.isWorker) return workerCommand();
  const load = (): Promise<Config> => configFor(args);
  const config = await load();
  const logger = createLogger({ ...config.log, shared: config.workers > 1 });
  // Handlers in place before `listening` is logged: a supervisor may signal as soon as it reads that line.
  const stopping = stopSignal();
  const hangup = reloadOnHangup();
  const serving = await startServing(config, logger);
  await refreshBundle(config.ca.dir, serving.caCertPem);
  const reloader = reloadOnChanges(serving, { load });
  hangup.reloadWith(reloader);
  logInternalErrors(logger);

  const signal = await stopping;
  logger.info({ signal }, 'stopping');
  hangup.stop();
  reloader.close();
  await serving.close();
  logger.flush();
  return 0;
}
