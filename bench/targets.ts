/** The targets for mtls-proxy, each a bound on a same-run figure or ratio. Pure. */
import type { MetricKey } from './metrics.js';
import type { PeerName } from './peers/types.js';

export interface Target {
  readonly metric: MetricKey;
  readonly bound: number;
  readonly direction: 'atLeast' | 'atMost';
  /** Compared as mtls-proxy / this peer in the same run; absent: the figure itself. */
  readonly relativeTo?: PeerName;
  readonly text: string;
}

export const TARGETS: readonly Target[] = [
  { metric: 'keepaliveRps', direction: 'atLeast', bound: 0.35, relativeTo: 'direct', text: '≥ 0.35× DIRECT' },
  { metric: 'keepaliveRps', direction: 'atLeast', bound: 4, relativeTo: 'http-mitm-proxy', text: '≥ 4× http-mitm-proxy' },
  { metric: 'keepaliveRps', direction: 'atLeast', bound: 15, relativeTo: 'mitmproxy', text: '≥ 15× mitmproxy' },
  { metric: 'keepaliveCpuUs', direction: 'atMost', bound: 70, text: '≤ 70 µs' },
  { metric: 'h2Rps', direction: 'atLeast', bound: 10, relativeTo: 'mitmproxy', text: '≥ 10× mitmproxy' },
  { metric: 'newConnRps', direction: 'atLeast', bound: 0.8, relativeTo: 'direct', text: '≥ 0.80× DIRECT' },
  { metric: 'firstHostExtraMs', direction: 'atMost', bound: 2, text: '≤ 2 ms' },
  { metric: 'burstDelayMs', direction: 'atMost', bound: 20, text: '≤ 20 ms' },
  { metric: 'downloadMBps', direction: 'atLeast', bound: 0.6, relativeTo: 'direct', text: '≥ 0.60× DIRECT' },
  { metric: 'downloadPeakRssMiB', direction: 'atMost', bound: 100, text: '≤ 100 MiB' },
  { metric: 'idleKiB', direction: 'atMost', bound: 40, text: '≤ 40 KiB' },
  { metric: 'startRssMiB', direction: 'atMost', bound: 60, text: '≤ 60 MiB' },
];

export type Verdict = 'PASS' | 'FAIL' | 'n/a';

export interface TargetResult {
  readonly target: Target;
  readonly verdict: Verdict;
  /** The figure compared with the bound (a ratio when relative), or null when it could not be measured. */
  readonly actual: number | null;
}

/** `figure(metric, peer)` is the run's median, or null when that cell has none. */
export function evaluateTargets(figure: (metric: MetricKey, peer: PeerName) => number | null): TargetResult[] {
  return TARGETS.map((target) => {
    const own = figure(target.metric, 'mtls-proxy');
    const base = target.relativeTo ? figure(target.metric, target.relativeTo) : 1;
    if (own === null || base === null || !Number.isFinite(own) || !Number.isFinite(base) || base === 0) {
      return { target, verdict: 'n/a', actual: null };
    }
    const actual = own / base;
    const ok = target.direction === 'atLeast' ? actual >= target.bound : actual <= target.bound;
    return { target, verdict: ok ? 'PASS' : 'FAIL', actual };
  });
}
