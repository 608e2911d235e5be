/** The printed table (Markdown, so BENCHMARKS.md can take it as is) and the JSON written next to it. Pure. */
import type { MetricDefinition } from './metrics.js';
import type { PeerName } from './peers/types.js';
import type { Results } from './results.js';
import type { TargetResult } from './targets.js';

export interface PeerColumn {
  name: PeerName;
  title: string;
  /** Why it did not run, when it did not. */
  skipped: string | null;
}

function formatNumber(value: number, decimals: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function cellText(results: Results, metric: MetricDefinition, peer: PeerColumn): string {
  if (peer.skipped !== null) return 'skipped';
  const value = results.median(metric.key, peer.name);
  if (value === null) return results.get(metric.key, peer.name)?.errors.length ? 'error' : '–';
  const text = formatNumber(value, metric.decimals);
  if (!metric.ratio) return text;
  const base = results.median(metric.key, 'direct');
  return base === null || base === 0 ? text : `${text} (${(value / base).toFixed(2)}×)`;
}

function targetText(results: readonly TargetResult[]): string {
  return results
    .map(({ target, verdict, actual }) => {
      const shown = actual === null ? '' : target.relativeTo ? ` (${actual.toFixed(2)}×)` : '';
      return `${verdict} ${target.text}${shown}`;
    })
    .join('; ');
}

export function renderTable(metrics: readonly MetricDefinition[], peers: readonly PeerColumn[], results: Results, targets: readonly TargetResult[]): string {
  const header = ['scenario (median)', ...peers.map((p) => p.title), 'mtls-proxy target'];
  const rows = metrics.map((metric) => [
    metric.label,
    ...peers.map((peer) => cellText(results, metric, peer)),
    targetText(targets.filter((t) => t.target.metric === metric.key)),
  ]);
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** One line per problem: skipped peers and the errors that left cells empty or thinner. */
export function renderNotes(metrics: readonly MetricDefinition[], peers: readonly PeerColumn[], results: Results): string[] {
  const notes: string[] = [];
  for (const peer of peers) {
    if (peer.skipped !== null) notes.push(`${peer.title} skipped: ${peer.skipped}`);
  }
  for (const metric of metrics) {
    for (const peer of peers) {
      for (const error of new Set(results.get(metric.key, peer.name)?.errors ?? [])) {
        notes.push(`${peer.title}, ${metric.label}: ${error}`);
      }
    }
  }
  return notes;
}
