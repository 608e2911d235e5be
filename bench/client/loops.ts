/** What every rate job shares: closed loops timed against a measured window, and an error tally. */
import { setTimeout as sleep } from 'node:timers/promises';
import { quantile } from '../stats.js';
import type { JobContext } from './jobs.js';
import type { LoopResult } from './protocol.js';

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: string }).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

export class ErrorTally {
  count = 0;
  first: string | null = null;
  add(err: unknown): void {
    this.count++;
    this.first ??= errorText(err);
  }
}

export interface LoopWindow {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

/**
 * `concurrency` loops of `request` (resolving to the HTTP status) back to back
 * until the window ends; counts the requests completed in the window and times
 * those wholly inside it. Marks `start` and `end` around the window.
 */
export async function measuredLoops(window: LoopWindow, ctx: JobContext, request: () => Promise<number>): Promise<LoopResult> {
  const errors = new ErrorTally();
  const latencies: number[] = [];
  let completed = 0;
  const start = performance.now();
  const windowStart = start + window.warmupMs;
  const windowEnd = windowStart + window.durationMs;
  const markStart = setTimeout(() => ctx.mark('start'), window.warmupMs);
  // The loops may all notice the window's end before this timer fires: then they mark it.
  let ended = false;
  const markEnd = (): void => {
    if (!ended) ctx.mark('end');
    ended = true;
  };
  const endTimer = setTimeout(markEnd, window.warmupMs + window.durationMs);

  const loop = async (): Promise<void> => {
    while (performance.now() < windowEnd) {
      const t0 = performance.now();
      try {
        const status = await request();
        if (status !== 200) throw new Error(`HTTP ${status}`);
        const t1 = performance.now();
        if (t1 >= windowStart && t1 <= windowEnd) completed++;
        if (t0 >= windowStart && t1 <= windowEnd) latencies.push(t1 - t0);
      } catch (err) {
        errors.add(err);
        // A failing peer must not turn the loop into a busy spin.
        await sleep(10);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: window.concurrency }, loop));
    markEnd();
  } finally {
    clearTimeout(markStart);
    clearTimeout(endTimer);
  }
  return {
    requests: completed,
    errors: errors.count,
    firstError: errors.first,
    seconds: window.durationMs / 1000,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}
