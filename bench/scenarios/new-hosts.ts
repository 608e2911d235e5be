/**
 * Never-seen hosts: the time of a first request to a new name on a fresh client
 * connection, and its extra over a fresh connection to a cached one, and how much ten new names at once delay
 * another client's requests to a cached host.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_HOST } from '../pki.js';
import { median } from '../stats.js';
import { PATHS } from '../upstream-layout.js';
import type { Scenario } from './types.js';

// Nine rather than five: with five, the median swung 2.5–4.4 ms between runs of the same build.
const PAIRS = 9;
const BURST_HOSTS = 10;

/** How many never-seen names one peer uses in a run. */
export function newHostsNeeded(reps: number): number {
  return (PAIRS + BURST_HOSTS) * reps;
}
const BASELINE_MS = 500;
const JOB_TIMEOUT_MS = 60_000;

export const firstHost: Scenario = {
  id: 'firsthost',
  name: 'first request to a never-seen host',
  metrics: ['firstHostMs', 'firstHostExtraMs'],
  // Repeated like the rates, because one target compares peers in every repetition.
  reps: (s) => s.reps,
  appliesTo: () => true,
  run: async (subject, { client }) => {
    // Interleaved, so that drift on a noisy machine hits both sides alike.
    const hosts = Array.from({ length: PAIRS }, () => [BENCH_HOST, subject.newHosts.next()]).flat();
    const result = await client.run(
      { kind: 'firstRequests', route: subject.running.route, hosts, path: PATHS.small, concurrent: false },
      { timeoutMs: JOB_TIMEOUT_MS },
    );
    if (result.errors > 0) throw new Error(`first requests: ${result.errors} failed (first: ${result.firstError ?? 'unknown'}).`);
    const cached = result.ms.filter((_, i) => i % 2 === 0);
    const fresh = result.ms.filter((_, i) => i % 2 === 1);
    return { firstHostMs: median(fresh), firstHostExtraMs: median(fresh) - median(cached) };
  },
};

export const newHostBurst: Scenario = {
  id: 'burst',
  name: '10 never-seen hosts at once vs a cached host',
  metrics: ['burstDelayMs'],
  reps: (s) => s.reps,
  appliesTo: () => true,
  run: async (subject, { client, probeClient }) => {
    const route = subject.running.route;
    let onStarted: (release: () => void) => void = () => {};
    const started = new Promise<() => void>((resolve) => (onStarted = resolve));
    const probe = probeClient.run(
      { kind: 'probe', route, host: BENCH_HOST, path: PATHS.small },
      { timeoutMs: JOB_TIMEOUT_MS, onMark: (_name, release) => onStarted(release) },
    );
    const release = await Promise.race([
      started,
      probe.then(() => {
        throw new Error('The probe ended before it started.');
      }),
    ]);
    let burst: { startMs: number; endMs: number; errors: number; firstError: string | null };
    try {
      await sleep(BASELINE_MS);
      const hosts = Array.from({ length: BURST_HOSTS }, () => subject.newHosts.next());
      burst = await client.run({ kind: 'firstRequests', route, hosts, path: PATHS.small, concurrent: true }, { timeoutMs: JOB_TIMEOUT_MS });
      // Let the probe's request in flight finish inside the window it belongs to.
      await sleep(100);
    } finally {
      release();
    }
    const samples = await probe;
    if (burst.errors > 0) throw new Error(`burst: ${burst.errors} failed (first: ${burst.firstError ?? 'unknown'}).`);
    if (samples.errors > 0) throw new Error(`probe: ${samples.errors} failed (first: ${samples.firstError ?? 'unknown'}).`);
    const { startMs, endMs } = burst;
    const before = samples.samples.filter((s) => s.startMs + s.ms < startMs).map((s) => s.ms);
    const during = samples.samples.filter((s) => s.startMs < endMs && s.startMs + s.ms > startMs).map((s) => s.ms);
    if (before.length === 0 || during.length === 0) throw new Error('The probe saw no requests before or during the burst.');
    return { burstDelayMs: Math.max(...during) - median(before) };
  },
};
