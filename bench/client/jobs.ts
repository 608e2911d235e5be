/** The load client's jobs: each builds its own dispatcher and tears it down. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { quantile } from '../stats.js';
import { createDispatcher, originOf } from './dispatcher.js';
import { holdIdleConnections } from './idle.js';
import { wallClockMs, type Job, type JobKind, type JobResults } from './protocol.js';

export interface JobContext {
  mark(name: string): void;
  /** Resolves when the harness says so (the idle job holds its connections until then). */
  released(): Promise<void>;
}

type JobOf<K extends JobKind> = Extract<Job, { kind: K }>;

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: string }).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** One GET; the body read (and returned as text only when asked, to save CPU). */
async function get(dispatcher: Dispatcher, origin: string, path: string, options: { reset?: boolean; text?: boolean } = {}): Promise<{ status: number; body: string }> {
  const res = await dispatcher.request({ origin, path, method: 'GET', reset: options.reset ?? false });
  if (options.text) return { status: res.statusCode, body: await res.body.text() };
  await res.body.dump();
  return { status: res.statusCode, body: '' };
}

class ErrorTally {
  count = 0;
  first: string | null = null;
  add(err: unknown): void {
    this.count++;
    this.first ??= errorText(err);
  }
}

async function fetchOnce(job: JobOf<'fetch'>): Promise<JobResults['fetch']> {
  const dispatcher = createDispatcher(job.route);
  try {
    return await get(dispatcher, originOf(job.route, job.host), job.path, { text: true });
  } finally {
    await dispatcher.destroy();
  }
}

async function closedLoop(job: JobOf<'closedLoop'>, ctx: JobContext): Promise<JobResults['closedLoop']> {
  const dispatcher = createDispatcher(job.route);
  const origin = originOf(job.route, job.host);
  const errors = new ErrorTally();
  const latencies: number[] = [];
  let completed = 0;
  const start = performance.now();
  const windowStart = start + job.warmupMs;
  const windowEnd = windowStart + job.durationMs;
  const markStart = setTimeout(() => ctx.mark('start'), job.warmupMs);
  // The loops may all notice the window's end before this timer fires: then they mark it.
  let ended = false;
  const markEnd = (): void => {
    if (!ended) ctx.mark('end');
    ended = true;
  };
  const endTimer = setTimeout(markEnd, job.warmupMs + job.durationMs);

  const loop = async (): Promise<void> => {
    while (performance.now() < windowEnd) {
      const t0 = performance.now();
      try {
        const { status } = await get(dispatcher, origin, job.path, { reset: job.newConnectionPerRequest });
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
    await Promise.all(Array.from({ length: job.concurrency }, loop));
    markEnd();
  } finally {
    clearTimeout(markStart);
    clearTimeout(endTimer);
    await dispatcher.destroy();
  }
  return {
    requests: completed,
    errors: errors.count,
    firstError: errors.first,
    seconds: job.durationMs / 1000,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}

/** One request on a client of its own: a new connection, CONNECT and full TLS handshake. */
async function timedFirstRequest(job: JobOf<'firstRequests'>, host: string, errors: ErrorTally): Promise<number | null> {
  const dispatcher = createDispatcher(job.route);
  const t0 = performance.now();
  try {
    const { status } = await get(dispatcher, originOf(job.route, host), job.path);
    if (status !== 200) throw new Error(`HTTP ${status} from ${host}`);
    return performance.now() - t0;
  } catch (err) {
    errors.add(err);
    return null;
  } finally {
    await dispatcher.destroy();
  }
}

async function firstRequests(job: JobOf<'firstRequests'>): Promise<JobResults['firstRequests']> {
  const errors = new ErrorTally();
  const startMs = wallClockMs();
  let timings: (number | null)[];
  if (job.concurrent) {
    timings = await Promise.all(job.hosts.map((host) => timedFirstRequest(job, host, errors)));
  } else {
    timings = [];
    for (const host of job.hosts) timings.push(await timedFirstRequest(job, host, errors));
  }
  const endMs = wallClockMs();
  return { startMs, endMs, ms: timings.map((t) => t ?? Number.NaN), errors: errors.count, firstError: errors.first };
}

async function probe(job: JobOf<'probe'>, ctx: JobContext): Promise<JobResults['probe']> {
  const dispatcher = createDispatcher(job.route);
  const origin = originOf(job.route, job.host);
  const errors = new ErrorTally();
  const samples: { startMs: number; ms: number }[] = [];
  let released = false;
  void ctx.released().then(() => (released = true));
  try {
    while (!released) {
      const startMs = wallClockMs();
      const t0 = performance.now();
      try {
        await get(dispatcher, origin, job.path);
        samples.push({ startMs, ms: performance.now() - t0 });
        if (samples.length === 1) ctx.mark('started');
      } catch (err) {
        errors.add(err);
        // A peer that fails from the start will never mark `started`: give up rather than spin.
        if (samples.length === 0 && errors.count >= 5) break;
        await sleep(10);
      }
    }
  } finally {
    await dispatcher.destroy();
  }
  return { samples, errors: errors.count, firstError: errors.first };
}

async function download(job: JobOf<'download'>): Promise<JobResults['download']> {
  const dispatcher = createDispatcher(job.route);
  const t0 = performance.now();
  let bytes = 0;
  try {
    const res = await dispatcher.request({ origin: originOf(job.route, job.host), path: job.path, method: 'GET' });
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  } finally {
    await dispatcher.destroy();
  }
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

export async function runJob(job: Job, ctx: JobContext): Promise<JobResults[JobKind]> {
  switch (job.kind) {
    case 'fetch':
      return fetchOnce(job);
    case 'closedLoop':
      return closedLoop(job, ctx);
    case 'firstRequests':
      return firstRequests(job);
    case 'probe':
      return probe(job, ctx);
    case 'idle':
      return holdIdleConnections(job, ctx);
    case 'download':
      return download(job);
  }
}
