/** The load client's jobs: each builds its own dispatcher and tears it down. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { createDispatcher, originOf } from './dispatcher.js';
import { h2Loop } from './h2.js';
import { holdIdleConnections } from './idle.js';
import { ErrorTally, measuredLoops } from './loops.js';
import { wallClockMs, type Job, type JobKind, type JobResults } from './protocol.js';

export interface JobContext {
  mark(name: string): void;
  /** Resolves when the harness says so (the idle job holds its connections until then). */
  released(): Promise<void>;
}

type JobOf<K extends JobKind> = Extract<Job, { kind: K }>;

/** One GET; the body read (and returned as text only when asked, to save CPU). */
async function get(dispatcher: Dispatcher, origin: string, path: string, options: { reset?: boolean; text?: boolean } = {}): Promise<{ status: number; body: string }> {
  const res = await dispatcher.request({ origin, path, method: 'GET', reset: options.reset ?? false });
  if (options.text) return { status: res.statusCode, body: await res.body.text() };
  await res.body.dump();
  return { status: res.statusCode, body: '' };
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
  try {
    return await measuredLoops(job, ctx, async () => (await get(dispatcher, origin, job.path, { reset: job.newConnectionPerRequest })).status);
  } finally {
    await dispatcher.destroy();
  }
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
    case 'h2Loop':
      return h2Loop(job, ctx);
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
