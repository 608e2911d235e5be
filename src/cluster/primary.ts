/**
 * The primary of `workers: N`: it checks the config and creates the CA once, before
 * any worker exists (so no two race to write ./ca), forks the workers, which share
 * its listening socket, says the start and reload lines once for all of them,
 * replaces a worker that ends, and answers their questions for /healthz and /metrics.
 */
import cluster, { type Worker } from 'node:cluster';
import { errorOf } from '../config/load-isolated.js';
import type { Config } from '../config/types.js';
import { MtlsProxyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { clusterScraper } from '../metrics/cluster.js';
import { loadCertificates } from '../proxy/context.js';
import { logContextWarnings, logExpiringDaily, logListening, type Announced } from '../proxy/start.js';
import type { ReloadTarget } from '../reload/reloader.js';
import { announceReload } from '../reload/swap.js';
import { isOurs, type Question, type ToPrimary, type ToWorker } from './messages.js';
import { downSentence, howItEnded, restartDelayMs, STABLE_MS, type DownWorker } from './supervision.js';

export interface RunningWorkers extends ReloadTarget {
  /** The CA certificate clients trust, for the bundle beside it. */
  readonly caCertPem: string;
  /** Stops every worker (each closes its connections) and resolves once all have ended. */
  close(): Promise<void>;
}

/** One of the N places a worker fills; a replacement takes the place of one that ended. */
interface Slot {
  worker: Worker | null;
  /** The config was sent: reloads go to it from then on. */
  configured: boolean;
  listening: boolean;
  startedAt: number;
  quickEndsInRow: number;
  /** The worker that ended here, until its replacement listens. */
  down: DownWorker | null;
  restart: NodeJS.Timeout | undefined;
}

type Address = { readonly host: string; readonly port: number };

function send(worker: Worker, message: ToWorker): void {
  // A channel that closes under the send (the worker is ending) is not an error: its exit is handled.
  if (worker.isConnected()) worker.send(message, () => {});
}

class WorkerPool {
  readonly #logger: Logger;
  readonly #slots: Slot[];
  readonly #scrape = clusterScraper();
  #config: Config;
  #address: Address | null = null;
  /** Every worker has listened once: from then on, one that ends is replaced instead of failing the start. */
  #up = false;
  #stopping = false;
  #nextReloadId = 0;
  /** Settled once every worker listens, or the first cannot. */
  readonly #started: Promise<Address>;
  #startedOutcome: { resolve: (address: Address) => void; reject: (err: Error) => void } | null = null;

  constructor(config: Config, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    this.#slots = Array.from({ length: config.workers }, () => ({
      worker: null,
      configured: false,
      listening: false,
      startedAt: 0,
      quickEndsInRow: 0,
      down: null,
      restart: undefined,
    }));
    this.#started = new Promise((resolve, reject) => (this.#startedOutcome = { resolve, reject }));
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Forks every worker; resolves with the shared address once all listen. */
  start(): Promise<Address> {
    // Advanced serialization, so that a Config crosses as it is.
    cluster.setupPrimary({ serialization: 'advanced' });
    for (const slot of this.#slots) this.#fork(slot);
    return this.#started;
  }

  /** Sends `config` to every worker that has one and waits for each to apply it (or to end). */
  async reload(config: Config): Promise<void> {
    this.#config = config;
    const id = ++this.#nextReloadId;
    const workers = this.#slots.flatMap((slot) => (slot.configured && slot.worker ? [slot.worker] : []));
    const failures = await Promise.all(workers.map((worker) => reloadOne(worker, id, config)));
    const failed = failures.flatMap((error, i) => (error === null ? [] : [`worker ${workers[i]!.id}: ${error}`]));
    if (failed.length > 0) throw new MtlsProxyError('ERR_WORKER_RELOAD', failed.join('\n'));
  }

  async close(): Promise<void> {
    this.#stopping = true;
    const ended = this.#slots.flatMap((slot) => {
      clearTimeout(slot.restart);
      const { worker } = slot;
      if (!worker || worker.isDead()) return [];
      const ended = new Promise((resolve) => worker.once('exit', resolve));
      // One still loading, before it listens for messages, has nothing to close yet.
      if (slot.configured) send(worker, { type: 'mtls-proxy:stop' });
      else worker.process.kill('SIGTERM');
      return [ended];
    });
    await Promise.all(ended);
  }

  #fork(slot: Slot): void {
    const worker = cluster.fork();
    Object.assign(slot, { worker, configured: false, listening: false, startedAt: Date.now(), restart: undefined });
    worker.on('message', (message: unknown) => {
      if (isOurs<ToPrimary>(message)) this.#onMessage(slot, worker, message);
    });
    worker.once('exit', (code: number | null, signal: string | null) => this.#onExit(slot, worker, code, signal));
  }

  #onMessage(slot: Slot, worker: Worker, message: ToPrimary): void {
    switch (message.type) {
      case 'mtls-proxy:hello':
        slot.configured = true;
        send(worker, { type: 'mtls-proxy:start', config: this.#config, workers: this.#slots.length });
        return;
      case 'mtls-proxy:listening':
        this.#address ??= { host: message.host, port: message.port };
        Object.assign(slot, { listening: true, down: null });
        this.#logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker started');
        if (!this.#up && this.#slots.every((s) => s.listening)) {
          this.#up = true;
          this.#startedOutcome?.resolve(this.#address);
        }
        return;
      case 'mtls-proxy:failed': {
        const error = errorOf(message.outcome);
        if (!this.#up) this.#startedOutcome?.reject(error);
        else this.#logger.error({ worker: worker.id, error: error.message }, 'worker failed to start');
        return;
      }
      case 'mtls-proxy:ask':
        void this.#answer(message.question).then(
          (answer) => send(worker, { type: 'mtls-proxy:answer', id: message.id, answer }),
          (err: unknown) => send(worker, { type: 'mtls-proxy:answer', id: message.id, answer: null, error: (err as Error).message }),
        );
        return;
      case 'mtls-proxy:reloaded':
        // Awaited by reloadOne.
        return;
    }
  }

  #answer(question: Question): Promise<string | null> {
    if (question === 'metrics') return this.#scrape();
    const down = this.#slots.flatMap((slot) => (slot.down ? [slot.down] : []));
    return Promise.resolve(downSentence(down, this.#slots.length));
  }

  #onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    Object.assign(slot, { worker: null, configured: false, listening: false });
    if (this.#stopping) return;
    const how = howItEnded(code, signal);
    if (!this.#up) {
      // Before the proxy is up, an ending worker fails the start (when `failed` has not already said why).
      const fail = (): void => this.#startedOutcome?.reject(new MtlsProxyError('ERR_WORKER_ENDED', `Worker ${worker.id} ended before it listened (${how}).`));
      // Its exit can be seen before its last messages are read: `failed`, saying why, may still be in the channel.
      if (worker.isConnected()) worker.once('disconnect', fail);
      else fail();
      return;
    }
    slot.quickEndsInRow = Date.now() - slot.startedAt < STABLE_MS ? slot.quickEndsInRow + 1 : 0;
    const restartInMs = restartDelayMs(slot.quickEndsInRow);
    slot.down = { worker: worker.id, how };
    this.#logger.warn({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs }, 'worker exited');
    slot.restart = setTimeout(() => this.#fork(slot), restartInMs);
  }
}

/** Resolves with the worker's reload error, or null once it applied the config (or ended: its replacement gets the new one). */
function reloadOne(worker: Worker, id: number, config: Config): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (error: string | null): void => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(error);
    };
    const onMessage = (message: unknown): void => {
      if (isOurs<ToPrimary>(message) && message.type === 'mtls-proxy:reloaded' && message.id === id) done(message.error);
    };
    const onExit = (): void => done(null);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    send(worker, { type: 'mtls-proxy:reload', id, config });
  });
}

/**
 * Checks the config and its certificates and creates the CA if missing, then starts
 * `config.workers` workers; resolves once all of them listen, after the `listening` line.
 */
export async function startWorkers(config: Config, logger: Logger): Promise<RunningWorkers> {
  let current: Announced = { ...(await loadCertificates(config)), logger };
  logContextWarnings(current);
  const pool = new WorkerPool(config, logger);
  let address: Address;
  try {
    address = await pool.start();
  } catch (err) {
    await pool.close();
    throw err;
  }
  logListening(current, address, { workers: pool.size });
  const stopDaily = logExpiringDaily(() => current);
  return {
    get config() {
      return current.config;
    },
    logger,
    caCertPem: current.ca.certPem,
    apply: async (next) => {
      const previous = current.config;
      // Checked here first, so that a config every worker would refuse is reported once.
      current = { ...(await loadCertificates(next)), logger };
      // Workers started from now on get it too.
      await pool.reload(next);
      announceReload(previous, current, { workers: pool.size });
    },
    close: async () => {
      stopDaily();
      await pool.close();
    },
  };
}
