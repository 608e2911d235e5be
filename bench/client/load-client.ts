/**
 * The harness side of a load-client process. The client runs apart from every
 * proxy so that the proxy's CPU time read from /proc is the proxy's alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromClient, Job, JobKind, JobResults, ToClient } from './protocol.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.ts');

export interface RunOptions {
  /** Called when the client marks a moment (e.g. the start of the measured window). */
  onMark?: (name: string, release: () => void) => void;
  timeoutMs: number;
}

interface Pending {
  onMark?: RunOptions['onMark'];
  resolve(result: JobResults[JobKind]): void;
  reject(err: Error): void;
}

export class LoadClient {
  #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  constructor() {
    this.#child = this.#fork();
  }

  #fork(): ChildProcess {
    // tsx only here: the client's own memory and start-up are not measured.
    const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (message: FromClient) => this.#onMessage(message));
    child.once('exit', (code, signal) => {
      // A replaced process's job was already failed by its timeout.
      if (child !== this.#child) return;
      for (const pending of this.#pending.values()) pending.reject(new Error(`The load client exited (${signal ?? `code ${code}`}).`));
      this.#pending.clear();
    });
    return child;
  }

  /** A job that overran may still hold sockets and timers: start over with a fresh process. */
  #restart(): void {
    this.#child.kill('SIGKILL');
    this.#child = this.#fork();
  }

  run<K extends JobKind>(job: Extract<Job, { kind: K }>, options: RunOptions): Promise<JobResults[K]> {
    const id = ++this.#nextId;
    return new Promise<JobResults[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`The ${job.kind} job did not finish within ${options.timeoutMs} ms.`));
        this.#restart();
      }, options.timeoutMs);
      this.#pending.set(id, {
        onMark: options.onMark,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result as JobResults[K]);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.#send({ type: 'job', id, job });
    });
  }

  #send(message: ToClient): void {
    if (this.#child.connected) this.#child.send(message);
  }

  #onMessage(message: FromClient): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if (message.type === 'mark') {
      pending.onMark?.(message.name, () => this.#send({ type: 'release', id: message.id }));
      return;
    }
    this.#pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.result);
    else pending.reject(new Error(message.message));
  }

  /** Ends the process; jobs in flight are abandoned. */
  async close(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}
