/** Before anything is measured: the upstream refuses clients without a certificate, and every peer presents one over HTTP/1.1. */
import type { LoadClient } from './client/load-client.js';
import type { Route } from './client/protocol.js';
import { BENCH_HOST, CLIENT_CN, type BenchPki } from './pki.js';
import type { Lineup } from './lineup.js';
import type { Progress } from './schedule.js';
import type { Upstream } from './upstream.js';
import { PATHS } from './upstream-layout.js';

const TIMEOUT_MS = 30_000;

/** Throws unless a direct client without a certificate is turned away. */
export async function checkUpstreamRequiresClientCert(client: LoadClient, upstream: Upstream, pki: BenchPki): Promise<void> {
  const route: Route = { proxyPort: null, upstreamPort: upstream.port, caFile: pki.serverCa, clientCert: null };
  let status: number;
  try {
    status = (await client.run({ kind: 'fetch', route, host: BENCH_HOST, path: PATHS.whoami }, { timeoutMs: TIMEOUT_MS })).status;
  } catch {
    return; // the handshake was refused: what a server requiring certificates may do
  }
  if (status === 200) throw new Error(`${upstream.label} answered 200 to a client without a certificate; it must require one.`);
}

/** The upstream's /whoami answer says it verified the bench client certificate. */
export function whoamiShowsClientCert(body: string): boolean {
  return body.startsWith('SUCCESS') && body.includes(`CN=${CLIENT_CN}`);
}

/**
 * Throws unless a request through the route reaches the upstream with the bench
 * client certificate, and over HTTP/1.1: the upstream also speaks h2, which only
 * the h2 scenario may use.
 */
async function checkRoute(client: LoadClient, route: Route): Promise<void> {
  const { status, body } = await client.run({ kind: 'fetch', route, host: BENCH_HOST, path: PATHS.whoami }, { timeoutMs: TIMEOUT_MS });
  if (status !== 200 || !whoamiShowsClientCert(body)) {
    throw new Error(`no client certificate reached the upstream (HTTP ${status}: ${body.trim().slice(0, 120)})`);
  }
  const protocol = (await client.run({ kind: 'fetch', route, host: BENCH_HOST, path: PATHS.protocol }, { timeoutMs: TIMEOUT_MS })).body.trim();
  if (protocol !== 'HTTP/1.1') throw new Error(`an HTTP/1.1 client's request reached the upstream as ${protocol || 'nothing'}`);
}

/** Drops every peer that does not present the client certificate, or not over HTTP/1.1: its figures would measure something else. */
export async function checkLineup(client: LoadClient, lineup: Lineup, progress: Progress): Promise<void> {
  for (const subject of [...lineup.subjects]) {
    try {
      await checkRoute(client, subject.running.route);
      progress(`${subject.peer.title}: ok`);
    } catch (err) {
      const reason = `check failed: ${err instanceof Error ? err.message : String(err)}`;
      progress(`${subject.peer.title}: ${reason}`);
      lineup.drop(subject, reason);
    }
  }
}
