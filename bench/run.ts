/**
 * `npm run bench`: mTLS upstream, the peers side by side, a load client in its
 * own process, the scenarios, then a table of medians (ratios to DIRECT) with
 * mtls-proxy's targets, and the same as JSON in bench/results/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLineup, checkUpstreamRequiresClientCert } from './check.js';
import { LoadClient } from './client/load-client.js';
import { startLineup, type Lineup } from './lineup.js';
import { describeMachine } from './machine.js';
import { metricDefinitions } from './metrics.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { PEERS } from './peers/index.js';
import { BENCH_HOST, newHostName, writeBenchPki } from './pki.js';
import { renderNotes, renderTable } from './report.js';
import { Results } from './results.js';
import { runScenario } from './schedule.js';
import { SCENARIOS, newHostsNeeded, startRss } from './scenarios/index.js';
import type { BenchSettings, ScenarioContext } from './scenarios/types.js';
import { evaluateTargets } from './targets.js';
import { startUpstream } from './upstream.js';
import { PATHS } from './upstream-layout.js';

const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
const MiB = 1024 * 1024;
/** Lets the proxy finish starting (lazy initialisation, first GC) before its RSS is read. */
const START_SETTLE_MS = 500;

const startedAt = new Date();
const started = startedAt.getTime();
const elapsed = (): string => `[${String(Math.round((Date.now() - started) / 1000)).padStart(3)} s]`;
const progress = (line: string): void => console.log(`${elapsed()}   ${line}`);

/** Stops what the run started, newest first; also on SIGINT/SIGTERM, so no nginx or proxy is left behind. */
const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
}

function chosenPeers(options: BenchOptions): typeof PEERS {
  if (options.peers === null) return PEERS;
  const unknown = options.peers.filter((name) => !PEERS.some((p) => p.name === name));
  if (unknown.length > 0) throw new Error(`Unknown peer(s): ${unknown.join(', ')}.`);
  return PEERS.filter((p) => p.name === 'direct' || options.peers!.includes(p.name));
}

function chosenScenarios(options: BenchOptions): typeof SCENARIOS {
  if (options.scenarios === null) return SCENARIOS;
  const unknown = options.scenarios.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`Unknown scenario(s): ${unknown.join(', ')}.`);
  // The warm-up (no figures of its own) always runs.
  return SCENARIOS.filter((s) => s.metrics.length === 0 || options.scenarios!.includes(s.id));
}

/** Prints the table, the notes and the targets' verdicts, and writes the JSON. */
function report(options: BenchOptions, upstreamLabel: string, lineup: Lineup, results: Results, settings: BenchSettings): void {
  const metrics = metricDefinitions({ downloadMiB: options.downloadMiB, idleConnections: options.idleConnections });
  const targets = evaluateTargets({
    median: (metric, peer) => results.median(metric, peer),
    samples: (metric, peer) => results.get(metric, peer)?.samples ?? [],
  });
  const table = renderTable(metrics, lineup.columns, results, targets);
  const notes = renderNotes(metrics, lineup.columns, results);
  const durationS = Math.round((Date.now() - started) / 1000);
  console.log(`\n${table}\n`);
  for (const note of notes) console.log(`note: ${note}`);
  const failing = targets.filter((t) => t.verdict === 'FAIL').map((t) => `${t.target.metric} ${t.target.text}`);
  console.log(`mtls-proxy targets: ${targets.filter((t) => t.verdict === 'PASS').length} pass, ${failing.length} fail${failing.length ? ` (${failing.join('; ')})` : ''}`);

  const json = {
    startedAt: startedAt.toISOString(),
    durationS,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: describeMachine(),
    upstream: upstreamLabel,
    settings,
    peers: lineup.columns.map((c) => ({ ...c, version: lineup.versions[c.name] ?? null })),
    metrics: metrics.map((m) => ({
      ...m,
      cells: Object.fromEntries(lineup.columns.map((c) => [c.name, { median: results.median(m.key, c.name), ...results.get(m.key, c.name) }])),
    })),
    targets: targets.map((t) => ({ ...t.target, verdict: t.verdict, actual: t.actual })),
    notes,
    table,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const text = JSON.stringify(json, null, 2);
  const file = path.join(RESULTS_DIR, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, text);
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), text);
  console.log(`results: ${path.relative(process.cwd(), file)} (${durationS} s)`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const peers = chosenPeers(options);
  const scenarios = chosenScenarios(options);
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-bench-'));
  cleanups.push(async () => {
    if (options.keep) console.log(`kept ${runDir}`);
    else rmSync(runDir, { recursive: true, force: true });
  });
  const settings: BenchSettings = {
    windowMs: options.windowMs,
    warmupMs: 500,
    reps: options.reps,
    downloadPath: PATHS.big,
    downloadBytes: options.downloadMiB * MiB,
    idleConnections: options.idleConnections,
  };
  try {
    const pki = writeBenchPki(runDir);
    const upstream = await startUpstream(runDir, pki, settings.downloadBytes, options.nodeUpstream);
    cleanups.push(() => upstream.service.stop());
    console.log(`upstream: ${upstream.label} on 127.0.0.1:${upstream.port}, requires client certificates`);

    const client = new LoadClient();
    const probeClient = new LoadClient();
    cleanups.push(() => client.close(), () => probeClient.close());
    await checkUpstreamRequiresClientCert(client, upstream, pki);

    const hostCount = newHostsNeeded(options.reps);
    const profileDir = path.join(RESULTS_DIR, 'profiles');
    if (options.cpuProf) mkdirSync(profileDir, { recursive: true });
    const lineup = await startLineup(
      peers,
      {
        runDir,
        pki,
        upstream,
        hosts: [BENCH_HOST, ...Array.from({ length: hostCount }, (_, i) => newHostName(i + 1))],
        mtlsProxyNode: options.node,
        mtlsProxyNodeFlags: [...options.nodeOptions, ...(options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [])],
        mtlsProxyWorkers: options.workers,
      },
      hostCount,
    );
    cleanups.push(() => lineup.stop());

    const results = new Results();
    const ctx: ScenarioContext = { client, probeClient, settings };
    await new Promise((resolve) => setTimeout(resolve, START_SETTLE_MS));
    console.log(`${elapsed()} RSS at start, before any traffic`);
    await runScenario(startRss, lineup.subjects, ctx, results, progress);

    console.log(`${elapsed()} checking that every peer presents the client certificate`);
    await checkLineup(client, lineup, progress);

    for (const scenario of scenarios) {
      console.log(`${elapsed()} ${scenario.name}`);
      await runScenario(scenario, lineup.subjects, ctx, results, progress);
    }

    report(options, upstream.label, lineup, results, settings);
  } finally {
    await cleanUp();
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
