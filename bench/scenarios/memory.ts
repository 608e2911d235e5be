/** The proxy's memory: at start, per idle client connection, and at peak during a large download. */
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_HOST } from '../pki.js';
import { peakRssKiB, resetPeakRss, rssKiB } from '../process/proc-stats.js';
import { hasProxyProcess, proxyPid, type Scenario } from './types.js';

/** Time for the proxy to finish the handshakes' garbage before RSS is read. */
const SETTLE_MS = 1000;
const OPEN_CONCURRENCY = 50;

export const startRss: Scenario = {
  id: 'startrss',
  name: 'RSS at start',
  metrics: ['startRssMiB'],
  reps: () => 1,
  appliesTo: hasProxyProcess,
  run: async (subject) => ({ startRssMiB: rssKiB(proxyPid(subject)) / 1024 }),
};

export const idleConnections: Scenario = {
  id: 'idle',
  name: 'idle client connections',
  metrics: ['idleKiB'],
  reps: () => 1,
  appliesTo: hasProxyProcess,
  run: async (subject, { client, settings }) => {
    const pid = proxyPid(subject);
    const before = rssKiB(pid);
    let after = Number.NaN;
    const result = await client.run(
      { kind: 'idle', route: subject.running.route, host: BENCH_HOST, count: settings.idleConnections, concurrency: OPEN_CONCURRENCY },
      {
        timeoutMs: 120_000,
        onMark: (_name, release) => {
          void sleep(SETTLE_MS).then(() => {
            after = rssKiB(pid);
            release();
          });
        },
      },
    );
    if (result.failed > settings.idleConnections * 0.01) {
      throw new Error(`${result.failed} of ${settings.idleConnections} idle connections failed (first: ${result.firstError ?? 'unknown'}).`);
    }
    return { idleKiB: (after - before) / result.opened };
  },
};

export const download: Scenario = {
  id: 'download',
  name: 'large download',
  metrics: ['downloadMBps', 'downloadPeakRssMiB'],
  reps: () => 1,
  appliesTo: () => true,
  run: async (subject, { client, settings }) => {
    const pid = subject.running.service?.pid ?? null;
    // VmHWM is reset when the kernel allows it; else RSS is sampled, which can miss a short peak.
    const peakFromKernel = pid !== null && resetPeakRss(pid);
    let sampledPeak = 0;
    const sampler = pid === null || peakFromKernel ? null : setInterval(() => (sampledPeak = Math.max(sampledPeak, rssKiB(pid))), 50);
    try {
      const result = await client.run({ kind: 'download', route: subject.running.route, host: BENCH_HOST, path: settings.downloadPath }, { timeoutMs: 300_000 });
      if (result.bytes !== settings.downloadBytes) throw new Error(`The download ended after ${result.bytes} of ${settings.downloadBytes} bytes.`);
      const measurement = { downloadMBps: result.bytes / result.seconds / 1e6 };
      if (pid === null) return measurement;
      return { ...measurement, downloadPeakRssMiB: (peakFromKernel ? peakRssKiB(pid) : sampledPeak) / 1024 };
    } finally {
      if (sampler) clearInterval(sampler);
    }
  },
};
