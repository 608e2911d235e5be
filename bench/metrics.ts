/** The table's rows: what each figure is, its unit, and whether it is shown as a ratio to DIRECT. */

export type MetricKey =
  | 'keepaliveRps'
  | 'keepaliveCpuUs'
  | 'h2Rps'
  | 'h2CpuUs'
  | 'newConnRps'
  | 'latencyP50Ms'
  | 'latencyP99Ms'
  | 'firstHostMs'
  | 'firstHostExtraMs'
  | 'burstDelayMs'
  | 'downloadMBps'
  | 'downloadPeakRssMiB'
  | 'idleKiB'
  | 'startRssMiB';

export interface MetricDefinition {
  readonly key: MetricKey;
  readonly label: string;
  readonly decimals: number;
  /** Shown with its ratio to DIRECT in the same run. */
  readonly ratio: boolean;
}

export function metricDefinitions(options: { downloadMiB: number; idleConnections: number }): readonly MetricDefinition[] {
  const download = options.downloadMiB % 1024 === 0 ? `${options.downloadMiB / 1024} GiB` : `${options.downloadMiB} MiB`;
  return [
    { key: 'keepaliveRps', label: 'keep-alive, 50 concurrent, req/s', decimals: 0, ratio: true },
    { key: 'keepaliveCpuUs', label: 'proxy CPU per request at 50 concurrent, µs', decimals: 0, ratio: false },
    { key: 'h2Rps', label: 'h2, one connection, 100 concurrent streams, req/s', decimals: 0, ratio: true },
    { key: 'h2CpuUs', label: 'proxy CPU per h2 request at 100 streams, µs', decimals: 0, ratio: false },
    { key: 'newConnRps', label: 'new connection per request, 10 concurrent, req/s', decimals: 0, ratio: true },
    { key: 'latencyP50Ms', label: 'latency at 1 concurrent, p50 ms', decimals: 2, ratio: false },
    { key: 'latencyP99Ms', label: 'latency at 1 concurrent, p99 ms', decimals: 2, ratio: false },
    { key: 'firstHostMs', label: 'first request to a never-seen host, ms', decimals: 1, ratio: true },
    { key: 'firstHostExtraMs', label: 'first request to a never-seen host, extra ms', decimals: 1, ratio: false },
    { key: 'burstDelayMs', label: '10 never-seen hosts at once: delay to a cached host, ms', decimals: 1, ratio: false },
    { key: 'downloadMBps', label: `${download} download, MB/s`, decimals: 0, ratio: true },
    { key: 'downloadPeakRssMiB', label: `peak RSS during the ${download} download, MiB`, decimals: 0, ratio: false },
    { key: 'idleKiB', label: `${options.idleConnections} idle client connections, KiB each`, decimals: 1, ratio: false },
    { key: 'startRssMiB', label: 'RSS at start, MiB', decimals: 0, ratio: false },
  ];
}
