import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, startCli, type RunningCli } from '../helpers/cli.js';
import { requestViaProxy, responseOf } from '../helpers/proxy-client.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

/**
 * 100 MB each way through the built CLI in its own process, checked by SHA-256,
 * with the proxy's peak memory read from /proc: a proxy that buffered a body
 * would need more than the body itself.
 */

const SIZE = 100 * 1024 * 1024;
const CHUNK = 64 * 1024;
/**
 * Streaming, the proxy peaks near 160 MiB here (80 at start, plus garbage not yet
 * collected); made to buffer the upload, it reached 485 MiB.
 */
const MAX_PEAK_BYTES = 200 * 1024 * 1024;

let pki: ProxyPki;
let upstream: TestUpstream;
let proxy: RunningCli;
let proxyPort: number;
let proxyCa: string;
const received = new Map<string, { bytes: number; sha256: string }>();
const sent = new Map<string, { bytes: number; sha256: string }>();

/**
 * Writes `size` random bytes to `out` with backpressure and resolves with their
 * hash as soon as the last chunk is handed over, before the reader can finish.
 */
async function writeRandom(out: NodeJS.WritableStream, size: number): Promise<string> {
  const hash = createHash('sha256');
  for (let left = size; left > 0; left -= CHUNK) {
    const chunk = randomBytes(Math.min(CHUNK, left));
    hash.update(chunk);
    if (!out.write(chunk) && left > CHUNK) await new Promise((resolve) => out.once('drain', resolve));
  }
  return hash.digest('hex');
}

/** Reads `stream` to its end; rejects if it is cut short. */
async function hashStream(stream: AsyncIterable<Buffer>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** `npm run build`, unless dist/cli.js is newer than every file under src/, as make would decide. */
async function buildCli(): Promise<void> {
  if (statSync(CLI_PATH).mtimeMs > newestMtimeMs(join(ROOT, 'src'))) return;
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
}

function peakMemoryBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

beforeAll(async () => {
  // The test runs the real CLI, so it must be built from the current source.
  await buildCli();
  pki = makeProxyPki();
  upstream = await startUpstream({
    certPem: pki.server.certPem,
    keyPem: pki.server.keyPem,
    clientCa: pki.clientCa.certPem,
    handler: (req, res) => {
      if (req.method === 'POST') {
        void hashStream(req).then((result) => {
          received.set(req.url ?? '', result);
          res.end(JSON.stringify(result));
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
      void writeRandom(res, SIZE).then((sha256) => {
        sent.set(req.url ?? '', { bytes: SIZE, sha256 });
        res.end();
      });
    },
  });
  const configFile = join(pki.dir, 'config.yaml');
  writeFileSync(
    configFile,
    `ca:
  dir: ./ca
upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "big.example.com:443": "127.0.0.1:${upstream.port}"
clientCertificates:
${ruleYaml(pki, 'big.example.com', 'alice')}`,
  );
  proxy = startCli(['start', '-c', configFile, '--port', '0'], { cwd: pki.dir });
  proxyPort = (await proxy.waitForLog('listening')).port as number;
  proxyCa = readFileSync(join(pki.dir, 'ca', 'ca.crt'), 'utf8');
}, 60_000);

afterAll(async () => {
  proxy?.child.kill('SIGTERM');
  await proxy?.exited;
  await upstream?.close();
});

function request(method: string, path: string): Promise<{ req: ClientRequest }> {
  return requestViaProxy({ proxyPort, authority: 'big.example.com:443', ca: proxyCa, method, path });
}

describe('100 MB bodies through the proxy process', () => {
  it('uploads a streamed body intact', async () => {
    const { req } = await request('POST', '/upload');
    const response = responseOf(req);
    const sha256 = await writeRandom(req, SIZE);
    req.end();
    const res = await response;
    expect(res.statusCode).toBe(200);
    await hashStream(res);
    expect(received.get('/upload')).toEqual({ bytes: SIZE, sha256 });
  });

  it('downloads a streamed body intact', async () => {
    const { req } = await request('GET', '/download');
    const response = responseOf(req);
    req.end();
    const res = await response;
    expect(res.statusCode).toBe(200);
    const got = await hashStream(res);
    expect(got).toEqual(sent.get('/download'));
    expect(got.bytes).toBe(SIZE);
  });

  it('never holds a body in memory', () => {
    expect(received.has('/upload') && sent.has('/download')).toBe(true);
    expect(peakMemoryBytes(proxy.child.pid!)).toBeLessThan(MAX_PEAK_BYTES);
  });
});
