/** Messages between the harness and the load-client process (child_process IPC). */

export interface Route {
  /** The proxy's loopback port; null for DIRECT (straight to the upstream). */
  proxyPort: number | null;
  upstreamPort: number;
  /** PEM file the client trusts: the upstream's CA, or an intercepting proxy's own CA. */
  caFile: string;
  /** The client presents this certificate itself (DIRECT, tunnels); null when the proxy must present one. */
  clientCert: { cert: string; key: string } | null;
}

export type Job =
  /** One request; for the client-certificate check. */
  | { kind: 'fetch'; route: Route; host: string; path: string }
  /** `concurrency` loops back to back; marks `start` and `end` around the measured window. */
  | {
      kind: 'closedLoop';
      route: Route;
      host: string;
      path: string;
      concurrency: number;
      warmupMs: number;
      durationMs: number;
      newConnectionPerRequest: boolean;
    }
  /**
   * One h2 connection (ALPN h2 required), first a GET of each of `firstPaths` (their
   * bodies returned), then `concurrency` streams back to back; marks as closedLoop.
   */
  | {
      kind: 'h2Loop';
      route: Route;
      host: string;
      path: string;
      firstPaths: string[];
      concurrency: number;
      warmupMs: number;
      durationMs: number;
    }
  /** One request per host, each on a fresh client (new connection, no TLS session), sequential or all at once. */
  | { kind: 'firstRequests'; route: Route; hosts: string[]; path: string; concurrent: boolean }
  /** Sequential keep-alive requests, each timed; marks `started` after the first, runs until released. */
  | { kind: 'probe'; route: Route; host: string; path: string }
  /** Opens CONNECT tunnels and TLS handshakes, marks `opened`, holds them until released. */
  | { kind: 'idle'; route: Route; host: string; count: number; concurrency: number }
  | { kind: 'download'; route: Route; host: string; path: string };

export type JobKind = Job['kind'];

export interface FetchResult {
  status: number;
  body: string;
}

export interface LoopResult {
  /** Completed in the measured window. */
  requests: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}

export interface H2LoopResult extends LoopResult {
  /** The bodies of `firstPaths`, in order. */
  firstBodies: string[];
}

/** Wall-clock times are epoch milliseconds (performance.timeOrigin + now), comparable across processes. */
export interface FirstRequestsResult {
  startMs: number;
  endMs: number;
  ms: number[];
  errors: number;
  firstError: string | null;
}

export interface ProbeResult {
  samples: { startMs: number; ms: number }[];
  errors: number;
  firstError: string | null;
}

export interface IdleResult {
  opened: number;
  failed: number;
  firstError: string | null;
}

export interface DownloadResult {
  bytes: number;
  seconds: number;
}

export interface JobResults {
  fetch: FetchResult;
  closedLoop: LoopResult;
  h2Loop: H2LoopResult;
  firstRequests: FirstRequestsResult;
  probe: ProbeResult;
  idle: IdleResult;
  download: DownloadResult;
}

export type ToClient = { type: 'job'; id: number; job: Job } | { type: 'release'; id: number };

export type FromClient =
  | { type: 'mark'; id: number; name: string }
  | { type: 'result'; id: number; result: JobResults[JobKind] }
  | { type: 'error'; id: number; message: string };

export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
