/**
 * Closed-loop request rates: keep-alive at 50 concurrent and h2 streams at 100
 * on one connection (each with proxy CPU per request), a new connection per
 * request at 10, latency at 1.
 */
import { whoamiShowsClientCert } from '../check.js';
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

/** The proxy's CPU time read at the load client's marks around the measured window; none for DIRECT. */
function proxyCpu(subject: Subject): { onMark(name: string): void; perRequestUs(requests: number): number | null } {
  const pid = subject.running.service?.pid ?? null;
  const cpu: Record<string, number> = {};
  return {
    onMark: (name) => {
      if (pid !== null) cpu[name] = cpuSeconds(pid);
    },
    perRequestUs: (requests) => {
      if (pid === null) return null;
      if (cpu.start === undefined || cpu.end === undefined) throw new Error('The load client did not mark the measured window.');
      return ((cpu.end - cpu.start) * 1e6) / requests;
    },
  };
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
    const cpu = proxyCpu(subject);
    const result = await closedLoop(subject, ctx, { concurrency: 50, newConnectionPerRequest: false }, cpu.onMark);
    const measurement: Measurement = { keepaliveRps: result.requests / result.seconds };
    const cpuUs = cpu.perRequestUs(result.requests);
    if (cpuUs !== null) measurement.keepaliveCpuUs = cpuUs;
    return measurement;
  },
};

const H2_STREAMS = 100;
/**
 * The warm-up scenario runs HTTP/1.1 only: a peer's first h2 run warms up this
 * much longer, so that JIT-compiling peers are not timed on cold h2 code.
 */
const H2_FIRST_WARMUP_MS = 2000;
const h2Warmed = new WeakSet<Subject>();

/**
 * One h2 connection with 100 streams in flight (mtls-proxy's
 * SETTINGS_MAX_CONCURRENT_STREAMS, the least RFC 9113 recommends a server
 * allows). The client fails the job unless ALPN chose h2; the upstream's own
 * answer must show h2 reached it, with the client certificate, before
 * anything is timed.
 */
export const h2Streams: Scenario = {
  id: 'h2',
  name: `h2, one connection, ${H2_STREAMS} concurrent streams`,
  metrics: ['h2Rps', 'h2CpuUs'],
  reps: (s) => s.reps,
  appliesTo: (subject) => subject.peer.h2,
  run: async (subject, ctx) => {
    const { client, settings } = ctx;
    const cpu = proxyCpu(subject);
    const warmupMs = settings.warmupMs + (h2Warmed.has(subject) ? 0 : H2_FIRST_WARMUP_MS);
    h2Warmed.add(subject);
    const result = await client.run(
      {
        kind: 'h2Loop',
        route: subject.running.route,
        host: BENCH_HOST,
        path: PATHS.small,
        firstPaths: [PATHS.protocol, PATHS.whoami],
        concurrency: H2_STREAMS,
        warmupMs,
        durationMs: settings.windowMs,
      },
      { timeoutMs: warmupMs + settings.windowMs + JOB_SLACK_MS, onMark: cpu.onMark },
    );
    const [protocol = '', whoami = ''] = result.firstBodies;
    if (protocol.trim() !== 'HTTP/2.0') throw new Error(`the upstream saw ${protocol.trim() || 'no answer'}, not HTTP/2.0`);
    if (!whoamiShowsClientCert(whoami)) throw new Error(`no client certificate reached the upstream over h2 (${whoami.trim().slice(0, 120)})`);
    assertFewErrors(`${H2_STREAMS} streams`, result.errors, result.requests, result.firstError);
    const measurement: Measurement = { h2Rps: result.requests / result.seconds };
    const cpuUs = cpu.perRequestUs(result.requests);
    if (cpuUs !== null) measurement.h2CpuUs = cpuUs;
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
