/** The targets for mtls-proxy, each a bound on a same-run figure or ratio. Pure. */
import type { MetricKey } from './metrics.js';
import type { PeerName } from './peers/types.js';

export interface Target {
  readonly metric: MetricKey;
  readonly bound: number;
  readonly direction: 'atLeast' | 'atMost';
  /** Compared as mtls-proxy / this peer in the same run; absent: the figure itself. */
  readonly relativeTo?: PeerName;
  /** Holds in each repetition (the two peers' samples paired in run order), not only for the medians. */
  readonly everyRepetition?: boolean;
  readonly text: string;
}

/** Issue 14's targets: ratios within one run, since absolute figures swing ±50 % between runs. */
export const TARGETS: readonly Target[] = [
  { metric: 'keepaliveRps', direction: 'atLeast', bound: 0.4, relativeTo: 'direct', text: '≥ 0.40× DIRECT' },
  { metric: 'keepaliveRps', direction: 'atLeast', bound: 0.65, relativeTo: 'tunnel', text: '≥ 0.65× tunnel' },
  { metric: 'keepaliveCpuUs', direction: 'atMost', bound: 3, relativeTo: 'tunnel', text: '≤ 3× tunnel' },
  { metric: 'firstHostMs', direction: 'atMost', bound: 1.3, relativeTo: 'tunnel', text: '≤ 1.3× tunnel' },
  { metric: 'firstHostMs', direction: 'atMost', bound: 1, relativeTo: 'mitmproxy', everyRepetition: true, text: 'below mitmproxy in every repetition' },
  { metric: 'h2Rps', direction: 'atLeast', bound: 10, relativeTo: 'mitmproxy', text: '≥ 10× mitmproxy' },
  { metric: 'downloadMBps', direction: 'atLeast', bound: 0.6, relativeTo: 'direct', text: '≥ 0.60× DIRECT' },
  { metric: 'downloadPeakRssMiB', direction: 'atMost', bound: 100, text: '≤ 100 MiB' },
  { metric: 'startRssMiB', direction: 'atMost', bound: 1, relativeTo: 'mitmproxy', text: '≤ mitmproxy' },
];

export type Verdict = 'PASS' | 'FAIL' | 'n/a';

export interface TargetResult {
  readonly target: Target;
  readonly verdict: Verdict;
  /** The figure compared with the bound (a ratio when relative), or null when it could not be measured. */
  readonly actual: number | null;
}

export interface Figures {
  /** The run's median, or null when that cell has none. */
  median(metric: MetricKey, peer: PeerName): number | null;
  /** Every repetition's figure, in run order. */
  samples(metric: MetricKey, peer: PeerName): readonly number[];
}

function compared(target: Target, figures: Figures): number | null {
  const { metric, relativeTo } = target;
  if (target.everyRepetition && relativeTo) {
    const own = figures.samples(metric, 'mtls-proxy');
    const base = figures.samples(metric, relativeTo);
    if (own.length === 0 || own.length !== base.length) return null;
    const ratios = own.map((value, i) => value / base[i]!);
    // The repetition closest to failing speaks for all.
    return target.direction === 'atLeast' ? Math.min(...ratios) : Math.max(...ratios);
  }
  const own = figures.median(metric, 'mtls-proxy');
  const base = relativeTo ? figures.median(metric, relativeTo) : 1;
  return own === null || base === null || base === 0 ? null : own / base;
}

export function evaluateTargets(figures: Figures): TargetResult[] {
  return TARGETS.map((target) => {
    const actual = compared(target, figures);
    if (actual === null || !Number.isFinite(actual)) return { target, verdict: 'n/a', actual: null };
    const ok = target.direction === 'atLeast' ? actual >= target.bound : actual <= target.bound;
    return { target, verdict: ok ? 'PASS' : 'FAIL', actual };
  });
}
