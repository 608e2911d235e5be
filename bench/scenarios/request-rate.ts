/** Closed-loop request rates: keep-alive at 50 concurrent (with proxy CPU per request), a new connection per request at 10, latency at 1. */
import type { LoopResult } from '../client/protocol.js';
import { cpuSeconds } from '../process/proc-stats.js';
import { BENCH_HOST } from '../pki.js';
import { PATHS } from '../upstream-layout.js';
import { assertFewErrors, type Measurement, type Scenario, type ScenarioContext, type Subject } from './types.js';

const JOB_SLACK_MS = 30_000;

async function closedLoop(
  subject: Subject,
  { client, settings }: ScenarioContext,
  loop: { concurrency: number; newConnectionPerRequest: boolean },
  onMark?: (name: string) => void,
): Promise<LoopResult> {
  const result = await client.run(
    {
      kind: 'closedLoop',
      route: subject.running.route,
      host: BENCH_HOST,
      path: PATHS.small,
      ...loop,
      warmupMs: settings.warmupMs,
      durationMs: settings.windowMs,
    },
    { timeoutMs: settings.warmupMs + settings.windowMs + JOB_SLACK_MS, onMark },
  );
  assertFewErrors(`${loop.concurrency} concurrent`, result.errors, result.requests, result.firstError);
  return result;
}

/** Unmeasured load before anything is timed, so that JIT-compiling peers are not measured cold. */
export const warmUp: Scenario = {
  id: 'warmup',
  name: 'warm-up (not measured)',
  metrics: [],
  reps: () => 1,
  appliesTo: () => true,
  run: async (subject, ctx) => {
    await closedLoop(subject, ctx, { concurrency: 50, newConnectionPerRequest: false });
    return {};
  },
};

export const keepAlive: Scenario = {
  id: 'keepalive',
  name: 'keep-alive, 50 concurrent',
  metrics: ['keepaliveRps', 'keepaliveCpuUs'],
  reps: (s) => s.reps,
  appliesTo: () => true,
  run: async (subject, ctx) => {
    const pid = subject.running.service?.pid ?? null;
    // The proxy's CPU time at the load client's marks around the measured window.
    const cpu: Record<string, number> = {};
    const result = await closedLoop(subject, ctx, { concurrency: 50, newConnectionPerRequest: false }, (name) => {
      if (pid !== null) cpu[name] = cpuSeconds(pid);
    });
    const measurement: Measurement = { keepaliveRps: result.requests / result.seconds };
    if (pid !== null) {
      if (cpu.start === undefined || cpu.end === undefined) throw new Error('The load client did not mark the measured window.');
      measurement.keepaliveCpuUs = ((cpu.end - cpu.start) * 1e6) / result.requests;
    }
    return measurement;
  },
};

export const newConnection: Scenario = {
  id: 'newconn',
  name: 'new connection per request, 10 concurrent',
  metrics: ['newConnRps'],
  reps: (s) => s.reps,
  appliesTo: () => true,
  run: async (subject, ctx) => {
    const result = await closedLoop(subject, ctx, { concurrency: 10, newConnectionPerRequest: true });
    return { newConnRps: result.requests / result.seconds };
  },
};

export const latency: Scenario = {
  id: 'latency',
  name: 'latency, 1 concurrent',
  metrics: ['latencyP50Ms', 'latencyP99Ms'],
  reps: () => 1,
  appliesTo: () => true,
  run: async (subject, ctx) => {
    const result = await closedLoop(subject, ctx, { concurrency: 1, newConnectionPerRequest: false });
    return { latencyP50Ms: result.p50Ms, latencyP99Ms: result.p99Ms };
  },
};
