/** The primary's decisions about its workers, as pure functions. */

/** A worker that ran at least this long before it ended was not crash-looping. */
export const STABLE_MS = 10_000;
const FIRST_RESTART_MS = 100;
const LONGEST_RESTART_MS = 30_000;

/**
 * How long to wait before a worker that ended is replaced: 100 ms after a worker that
 * had run a while, doubling with each worker in a row that ended within STABLE_MS of
 * its start, up to 30 s, so that a crash loop does not keep a core busy forking.
 */
export function restartDelayMs(quickEndsInRow: number): number {
  return Math.min(LONGEST_RESTART_MS, FIRST_RESTART_MS * 2 ** quickEndsInRow);
}

/** How a worker ended, in words: `killed by SIGKILL`, `exit code 1`. */
export function howItEnded(code: number | null, signal: string | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code ?? 'unknown'}`;
}

export interface DownWorker {
  /** The cluster id of the worker that ended. */
  readonly worker: number;
  readonly how: string;
}

/** The /healthz sentence while workers are down (each until its replacement listens), or null. */
export function downSentence(down: readonly DownWorker[], total: number): string | null {
  if (down.length === 0) return null;
  const which = down.map((d) => `worker ${d.worker} (${d.how})`).join(', ');
  const verb = down.length === 1 ? 'is' : 'are';
  return `${down.length} of ${total} workers ${verb} down: ${which}; ${down.length === 1 ? 'it is' : 'they are'} being restarted.`;
}
