import type { LoadClient } from '../client/load-client.js';
import type { MetricKey } from '../metrics.js';
import type { PeerDefinition, RunningPeer } from '../peers/types.js';

/** Hands out never-seen host names, distinct for every request to one peer. */
export interface HostSource {
  next(): string;
}

export interface Subject {
  readonly peer: PeerDefinition;
  readonly running: RunningPeer;
  readonly newHosts: HostSource;
}

export interface BenchSettings {
  /** The measured window of the rate scenarios, ms. */
  windowMs: number;
  warmupMs: number;
  reps: number;
  downloadPath: string;
  downloadBytes: number;
  idleConnections: number;
}

export interface ScenarioContext {
  /** Drives the load. */
  readonly client: LoadClient;
  /** A second process for the probe that must not share the first one's event loop. */
  readonly probeClient: LoadClient;
  readonly settings: BenchSettings;
}

export type Measurement = Partial<Record<MetricKey, number>>;

export interface Scenario {
  /** For --scenarios. */
  readonly id: string;
  readonly name: string;
  /** The figures a run yields; a failed run marks these cells. */
  readonly metrics: readonly MetricKey[];
  /** Repetitions; runs of all peers are interleaved, one repetition at a time. */
  reps(settings: BenchSettings): number;
  /** False when the scenario means nothing for this peer (no proxy process for DIRECT). */
  appliesTo(subject: Subject): boolean;
  run(subject: Subject, ctx: ScenarioContext): Promise<Measurement>;
}

/** The proxy's pid; scenarios that read /proc only apply when there is one. */
export function proxyPid(subject: Subject): number {
  const service = subject.running.service;
  if (!service) throw new Error(`${subject.peer.title} has no proxy process.`);
  return service.pid;
}

export function hasProxyProcess(subject: Subject): boolean {
  return subject.running.service !== null;
}

/** Fails a repetition whose errors would make its figure meaningless. */
export function assertFewErrors(what: string, errors: number, total: number, firstError: string | null): void {
  if (errors > 0 && errors > total * 0.01) {
    throw new Error(`${what}: ${errors} errors in ${total + errors} requests (first: ${firstError ?? 'unknown'}).`);
  }
}
