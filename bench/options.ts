/** `npm run bench -- [options]`. */
import { parseArgs } from 'node:util';
import type { PeerName } from './peers/types.js';

export interface BenchOptions {
  peers: PeerName[] | null;
  scenarios: string[] | null;
  reps: number;
  windowMs: number;
  downloadMiB: number;
  idleConnections: number;
  /** mtls-proxy's `workers` setting. */
  workers: number;
  /** The node binary mtls-proxy runs on; the peers and the load client stay on the bench's. */
  node: string;
  /** Options for that node binary, such as V8's `--max-semi-space-size=1`. */
  nodeOptions: string[];
  /** Force the Node upstream even when nginx is installed. */
  nodeUpstream: boolean;
  cpuProf: boolean;
  keep: boolean;
  help: boolean;
}

export const USAGE = `npm run bench -- [options]

  --peers LIST         comma-separated subset of: direct,tunnel,mitmproxy,http-mitm-proxy,mtls-proxy
                       (DIRECT always runs: it is every ratio's denominator)
  --scenarios LIST     comma-separated subset of: latency,keepalive,h2,newconn,firsthost,burst,idle,download
  --reps N             repetitions of the rate and burst scenarios (default 3)
  --seconds S          measured window of each rate run (default 1.5)
  --download-mib N     size of the download (default 1024)
  --idle N             idle client connections (default 1000)
  --workers N          mtls-proxy's workers setting (default 1); its CPU is summed over all its processes
  --node PATH          the node binary mtls-proxy runs on (default: the one running the bench)
  --node-option OPT    an option for mtls-proxy's node, such as --node-option=--max-semi-space-size=1 (repeatable)
  --node-upstream      use the Node mTLS upstream even when nginx is installed
  --cpu-prof           run mtls-proxy under node --cpu-prof; profiles land in bench/results/profiles/
  --keep               keep the temp folder (configs, logs, CAs) and print where it is
`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not "${value}".`);
  return n;
}

function list(value: string | undefined): string[] | null {
  return value === undefined ? null : value.split(',').map((s) => s.trim()).filter(Boolean);
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      peers: { type: 'string' },
      scenarios: { type: 'string' },
      reps: { type: 'string' },
      seconds: { type: 'string' },
      'download-mib': { type: 'string' },
      idle: { type: 'string' },
      workers: { type: 'string' },
      node: { type: 'string' },
      'node-option': { type: 'string', multiple: true },
      'node-upstream': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  return {
    peers: list(values.peers) as PeerName[] | null,
    scenarios: list(values.scenarios),
    reps: Math.round(positive('reps', values.reps, 3)),
    windowMs: Math.round(positive('seconds', values.seconds, 1.5) * 1000),
    downloadMiB: Math.round(positive('download-mib', values['download-mib'], 1024)),
    idleConnections: Math.round(positive('idle', values.idle, 1000)),
    workers: Math.round(positive('workers', values.workers, 1)),
    node: values.node ?? process.execPath,
    nodeOptions: values['node-option'] ?? [],
    nodeUpstream: values['node-upstream'],
    cpuProf: values['cpu-prof'],
    keep: values.keep,
    help: values.help,
  };
}
