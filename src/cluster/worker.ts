/**
 * One worker of `workers: N`: it takes its config from the primary, serves on the
 * listening socket the primary shares, with a ProxyContext of its own (leaf cache,
 * upstream pools, metrics, console feed), and applies the reloads the primary sends.
 */
import cluster from 'node:cluster';
import { failureOf } from '../config/load-isolated.js';
import { deepFreeze } from '../config/freeze.js';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../log/logger.js';
import { answerClusterScrapes } from '../metrics/cluster.js';
import type { ClusterView } from '../proxy/context.js';
import { listenError } from '../proxy/listen-error.js';
import { startProxy, type Proxy } from '../proxy/start.js';
import { describeFailure } from '../reload/reloader.js';
import { rebuildContext } from '../reload/rebuild.js';
import { swapContext } from '../reload/swap.js';
import { isOurs, type Question, type ToPrimary, type ToWorker } from './messages.js';

/** The longest a worker waits for the primary's answer for /healthz or /metrics. */
const ASK_TIMEOUT_MS = 5_000;

type Answer = Extract<ToWorker, { type: 'mtls-proxy:answer' }>;

function send(message: ToPrimary): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

/**
 * Ends the IPC channel so the process can end once its last writes are out, with its own
 * exit code. Through cluster's disconnect, not process.disconnect(): a disconnect the
 * primary was not told of makes cluster end the worker at once, with exit code 0.
 */
function leavePrimary(): void {
  if (process.connected) cluster.worker!.disconnect();
}

/** Questions to the primary, matched to their answers by id. */
function primaryQuestions(): Pick<ClusterView, 'downWorkers' | 'metrics'> & { answered(message: Answer): void } {
  const waiting = new Map<number, (message: Answer) => void>();
  let nextId = 0;
  const ask = (question: Question): Promise<string | null> => {
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`The primary process did not answer within ${ASK_TIMEOUT_MS / 1000} s.`));
      }, ASK_TIMEOUT_MS);
      waiting.set(id, (message) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve(message.answer);
      });
      void send({ type: 'mtls-proxy:ask', id, question });
    });
  };
  return {
    // A primary that does not answer is a health problem too.
    downWorkers: () => ask('down-workers').catch((err: unknown) => (err as Error).message),
    metrics: async () => (await ask('metrics')) ?? '',
    answered: (message) => waiting.get(message.id)?.(message),
  };
}

/**
 * Resolves when the primary says stop, or is gone. The signals a terminal or a service
 * manager sends to the whole process group (SIGINT, SIGHUP, SIGTERM) are the primary's
 * to answer, for every worker at once.
 */
function stopRequested(): { stopping: Promise<void>; stop(): void } {
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(signal, () => {});
  let stop = (): void => {};
  const stopping = new Promise<void>((resolve) => (stop = resolve));
  process.once('disconnect', stop);
  return { stopping, stop };
}

interface Handlers {
  readonly answered: (message: Answer) => void;
  readonly reload: (id: number, config: Config) => void;
  readonly stop: () => void;
}

/** The config the primary sends in answer to hello; the later messages go to their handlers as they come. */
function fromPrimary(handlers: Handlers): Promise<{ config: Config; workers: number }> {
  return new Promise((resolve) => {
    process.on('message', (message: unknown) => {
      if (!isOurs<ToWorker>(message)) return;
      if (message.type === 'mtls-proxy:start') resolve({ config: deepFreeze(message.config), workers: message.workers });
      else if (message.type === 'mtls-proxy:answer') handlers.answered(message);
      else if (message.type === 'mtls-proxy:reload') handlers.reload(message.id, deepFreeze(message.config));
      else handlers.stop();
    });
    void send({ type: 'mtls-proxy:hello' });
  });
}

export interface RunningWorker {
  readonly logger: Logger;
  /** Resolves once the primary asks this worker to stop (or is gone). */
  readonly stopping: Promise<void>;
  close(): Promise<void>;
}

/** Starts this worker: resolves once it listens, or with null when it cannot (the primary, told why, reports it). */
export async function startWorker(): Promise<RunningWorker | null> {
  // The channel to the primary closed under a send (Node's own, as when listening): the
  // primary is stopping this worker or is gone, and the channel's end stops it.
  cluster.worker!.on('error', () => {});
  const scrapes = answerClusterScrapes();
  const { stopping, stop } = stopRequested();
  let started: Promise<Proxy> | null = null;
  // One at a time, in the order sent; one sent while this worker starts waits for it.
  let reloads = Promise.resolve();
  const reload = async (id: number, next: Config): Promise<void> => {
    let error: string | null = null;
    try {
      const proxy = await started!;
      swapContext(proxy, await rebuildContext(proxy.context, next));
      proxy.context.logger.level = next.log.level;
    } catch (err) {
      error = describeFailure(err);
    }
    await send({ type: 'mtls-proxy:reloaded', id, error });
  };

  const primary = primaryQuestions();
  const { config, workers } = await fromPrimary({
    answered: (message) => primary.answered(message),
    reload: (id, next) => (reloads = reloads.then(() => reload(id, next))),
    stop,
  });
  const view: ClusterView = { worker: cluster.worker!.id, workers, downWorkers: primary.downWorkers, metrics: primary.metrics };
  const logger = createLogger({ ...config.log, base: { worker: view.worker }, shared: true });
  started = startProxy(config, logger, { cluster: view });
  let proxy: Proxy;
  try {
    proxy = await started;
  } catch (err) {
    await send({ type: 'mtls-proxy:failed', outcome: failureOf(listenError(err, config)) });
    leavePrimary();
    return null;
  }
  scrapes.share(proxy.context.metrics);
  await send({ type: 'mtls-proxy:listening', host: proxy.host, port: proxy.port });
  return {
    logger,
    stopping,
    close: async () => {
      await proxy.close();
      logger.flush();
      leavePrimary();
    },
  };
}
