/**
 * RSS of the proxy across 100 reloads through the real paths: the built CLI, its
 * client certificate rotated by rewriting the files (the watcher) on odd turns and
 * SIGHUP on even ones, one mTLS request through it after each. Prints RSS before
 * and after every 50 reloads, each as is and after a full GC (through the proxy's
 * inspector, on loopback). Usage: npm run build && npx tsx bench/reload-rss.ts [N] [fresh]
 *
 * The files alternate between two identities, alice and bob, so a rotation back finds
 * its SecureContext still in memory; with `fresh`, each rotation brings a certificate
 * never seen before, as a renewal does, and builds a new one.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCli, tempDir } from '../test/helpers/cli.js';
import { heapUsedAfterGc, INSPECT_ON_LOOPBACK } from '../test/helpers/inspector.js';
import { makeCa, makeClientCert, makeServerCert, writeFiles } from '../test/helpers/pki.js';
import { httpsViaProxy } from '../test/helpers/proxy-client.js';
import { startUpstream } from '../test/helpers/upstream.js';
import { rssKiB } from './process/proc-stats.js';

/** 100 by default; a larger even number (the first argument) shows whether RSS levels off. */
const RELOADS = Number(process.argv[2] ?? 100);
const FRESH = process.argv[3] === 'fresh';
/** Waited before each RSS reading, for the last request's garbage to settle. */
const SETTLE_MS = 1000;
const HOST = 'api.example.com';

const { dir, remove } = tempDir('reload-rss');
const serverCa = makeCa('reload bench server CA');
const server = makeServerCert(serverCa, { dnsNames: [HOST] });
const clientCa = makeCa('reload bench client CA');
const identities = [makeClientCert(clientCa, 'alice'), makeClientCert(clientCa, 'bob')];
const upstream = await startUpstream({ certPem: server.certPem, keyPem: server.keyPem, clientCa: clientCa.certPem });
const files = writeFiles(dir, { 'server-ca.pem': serverCa.certPem, 'client.crt': identities[0]!.certPem, 'client.key': identities[0]!.keyPem });
writeFileSync(
  path.join(dir, 'config.yaml'),
  `listen:\n  port: 0\nupstream:\n  ca: [${files['server-ca.pem']}]\n  resolve:\n    "${HOST}:443": "127.0.0.1:${upstream.port}"\nclientCertificates:\n  - host: ${HOST}\n    cert: ./client.crt\n    key: ./client.key\n`,
);
const cli = startCli(['start'], { cwd: dir, env: INSPECT_ON_LOOPBACK });
try {
  const port = (await cli.waitForLog('listening')).port as number;
  const ca = (await (await fetch(`http://127.0.0.1:${port}/ca.crt`)).text());
  const reloads = (): number => cli.lines.filter((line) => line.msg === 'config reloaded').length;
  const request = async (): Promise<void> => {
    const res = await httpsViaProxy({ proxyPort: port, authority: `${HOST}:443`, ca });
    if (res.status !== 200) throw new Error(`the request through the proxy answered ${res.status}: ${res.body}`);
  };
  await request();
  const pid = cli.child.pid!;
  /** RSS as it is, then after a full GC: what V8 has not collected yet, and what the proxy holds. */
  const reading = async (label: string): Promise<string> => {
    await sleep(SETTLE_MS);
    const raw = rssKiB(pid);
    await heapUsedAfterGc(cli.stderr());
    return `${label.padEnd(18)} ${(raw / 1024).toFixed(1)} MiB RSS, ${(rssKiB(pid) / 1024).toFixed(1)} MiB after a GC`;
  };
  const readings = [await reading('before')];
  for (let i = 1; i <= RELOADS; i++) {
    if (i % 2 === 1) {
      // alice and bob in turn, starting from bob: every write changes the files.
      const next = FRESH ? makeClientCert(clientCa, `renewed ${i}`) : identities[((i + 1) / 2) % 2]!;
      writeFiles(dir, { 'client.crt': next.certPem, 'client.key': next.keyPem });
    } else {
      cli.child.kill('SIGHUP');
    }
    const deadline = Date.now() + 10_000;
    while (reloads() < i) {
      if (Date.now() > deadline || cli.child.exitCode !== null) throw new Error(`reload ${i} was not logged; stderr: ${cli.stderr()}`);
      await sleep(20);
    }
    await request();
    if (i % 50 === 0) readings.push(await reading(`after ${i} reloads`));
  }
  for (const line of readings) console.log(line);
  const failed = cli.lines.filter((line) => line.msg === 'config reload failed').length;
  console.log(`reloads: ${reloads()} logged, ${failed} failed`);
} finally {
  cli.child.kill('SIGTERM');
  await cli.exited;
  await upstream.close();
  remove();
}
