/**
 * What the primary and its workers say to each other over the cluster's IPC channel
 * (advanced serialization, so a Config crosses as it is). Every type starts with
 * `mtls-proxy:`; prom-client's aggregation messages share the channel.
 */
import type { FailureOutcome } from '../config/load-isolated.js';
import type { Config } from '../config/types.js';

/** What a worker asks the primary, for /healthz and /metrics. */
export type Question = 'down-workers' | 'metrics';

export type ToWorker =
  /** The answer to `hello`: the config to serve, and how many workers serve (a reloaded `workers` applies at a restart only). */
  | { readonly type: 'mtls-proxy:start'; readonly config: Config; readonly workers: number }
  /** A reload the primary has checked; the worker answers `reloaded`. */
  | { readonly type: 'mtls-proxy:reload'; readonly id: number; readonly config: Config }
  /** The answer to `ask`; `error` when there is none. */
  | { readonly type: 'mtls-proxy:answer'; readonly id: number; readonly answer: string | null; readonly error?: string }
  /** Close every connection and end. */
  | { readonly type: 'mtls-proxy:stop' };

export type ToPrimary =
  /** Sent once the worker listens for messages: the primary answers with `start`. */
  | { readonly type: 'mtls-proxy:hello' }
  | { readonly type: 'mtls-proxy:listening'; readonly host: string; readonly port: number }
  /** The worker could not start; it ends after sending this. */
  | { readonly type: 'mtls-proxy:failed'; readonly outcome: FailureOutcome }
  /** A reload applied, or why not. */
  | { readonly type: 'mtls-proxy:reloaded'; readonly id: number; readonly error: string | null }
  | { readonly type: 'mtls-proxy:ask'; readonly id: number; readonly question: Question };

/** Whether a message on the channel is one of ours (of the given side), not prom-client's. */
export function isOurs<T extends { type: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && String((message as { type?: unknown }).type).startsWith('mtls-proxy:');
}
