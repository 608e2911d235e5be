/**
 * What the Docker image does, without Docker: the final stage's files copied into an
 * empty folder, `npm ci --omit=dev --ignore-scripts` there, then `start` from that copy
 * with a PKCS#12 client identity whose passphrase comes from a file, as a Docker secret
 * would give it. It proves the production dependencies suffice: nothing under dist/
 * imports a devDependency (Node finds no node_modules above the temp folder).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { get } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { makeCa, makeClientCert, makePkcs12, makeServerCert, writeFiles, type TestCert } from '../helpers/pki.js';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { REPO, argsOf, copiedFromRepository, readStages } from './dockerfile.js';

const P12_PASS = 'p12 passphrase from a secret';
const NPM_CI_TIMEOUT_MS = 300_000;

let root: string;
let remove: () => void;
let app: string;
let client: TestCert;
let upstream: TestUpstream;
let proxy: RunningCli;
let proxyPort: number;

/**
 * A folder no ancestor of which holds node_modules, as in the image, where /app has no
 * parent with packages: else Node would find a devDependency there and hide the mistake.
 */
function cleanBase(): string {
  const hasPackagesAbove = (dir: string): boolean => {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
      if (existsSync(path.join(d, 'node_modules'))) return true;
      if (d === path.dirname(d)) return false;
    }
  };
  const base = [tmpdir(), '/var/tmp', homedir()].find((dir) => existsSync(dir) && !hasPackagesAbove(dir));
  if (base === undefined) throw new Error(`every candidate temp folder has a node_modules above it: ${tmpdir()}, /var/tmp, ${homedir()}`);
  return base;
}

/** `npm ci` as the image runs it; the cache makes it quick when the packages were fetched once. */
function npmCi(cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const npm = spawn('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let stderr = '';
    npm.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    npm.once('error', reject);
    npm.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm ci exited ${code}: ${stderr}`))));
  });
}

beforeAll(async () => {
  root = mkdtempSync(path.join(cleanBase(), 'mtls-proxy-image-'));
  remove = () => rmSync(root, { recursive: true, force: true });
  app = path.join(root, 'app');
  mkdirSync(app);
  const stages = readStages(path.join(REPO, 'Dockerfile'));
  for (const { source, destination } of copiedFromRepository(stages, stages.at(-1)!)) {
    const target = destination.endsWith('/') ? path.join(app, destination, path.basename(source)) : path.join(app, destination);
    cpSync(path.join(REPO, source), target, { recursive: true });
  }
  await npmCi(app);

  const ca = makeCa('Image Test Root');
  client = makeClientCert(ca, 'pkcs12-client');
  const server = makeServerCert(ca, {});
  upstream = await startUpstream({ certPem: server.certPem, keyPem: server.keyPem, clientCa: ca.certPem });
  const config = path.join(root, 'config');
  writeFiles(config, {
    'secrets/root.pem': ca.certPem,
    'secrets/client.p12': makePkcs12(client, [ca], P12_PASS),
    'secrets/client.pass': `${P12_PASS}\n`,
  });
  writeFileSync(
    path.join(config, 'config.yaml'),
    `listen: { host: 127.0.0.1, port: 0 }
ca: { dir: ./ca }
upstream: { ca: [secrets/root.pem] }
clientCertificates:
  - host: localhost
    port: ${upstream.port}
    pfx: secrets/client.p12
    passphraseFile: secrets/client.pass
`,
  );
  // As the image: the CLI from its own folder, the config named by MTLS_PROXY_CONFIG.
  proxy = startCli(['start'], { cwd: app, cliPath: path.join(app, 'dist/cli.js'), env: { MTLS_PROXY_CONFIG: path.join(config, 'config.yaml'), NODE_ENV: 'production' } });
  proxyPort = (await proxy.waitForLog('listening')).port as number;
}, NPM_CI_TIMEOUT_MS);

afterAll(async () => {
  if (proxy) {
    proxy.child.kill('SIGTERM');
    await proxy.exited;
  }
  await upstream?.close();
  remove();
});

function getText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).once('error', reject);
  });
}

describe('the image, without Docker', () => {
  it('installed production dependencies only', () => {
    expect(existsSync(path.join(app, 'node_modules/pino'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(path.join(app, 'node_modules/typescript'))).toBe(false);
    // Nor anywhere Node would look from dist/: a devDependency imported there would fail to load.
    const resolveFromDist = (name: string) =>
      spawnSync(process.execPath, ['-p', `require.resolve(${JSON.stringify(name)})`], { cwd: path.join(app, 'dist'), env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    expect(resolveFromDist('vitest').stderr).toContain('MODULE_NOT_FOUND');
    expect(resolveFromDist('pino').stdout.startsWith(path.join(realpathSync(app), 'node_modules', 'pino', ''))).toBe(true);
  });

  it('answers /healthz, and the HEALTHCHECK script exits 0 against it', async () => {
    expect(await getText(`http://127.0.0.1:${proxyPort}/healthz`)).toEqual({ status: 200, body: '{"status":"ok"}' });
    const healthcheck = argsOf(readStages(path.join(REPO, 'Dockerfile')).at(-1)!, 'HEALTHCHECK').join('\n');
    const [, , script] = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    const result = spawnSync(process.execPath, ['-e', script!.replace(':8080/', `:${proxyPort}/`)], { cwd: app, timeout: 10_000 });
    expect(result.status).toBe(0);
  });

  it('presents the PKCS#12 identity to an upstream that requires a client certificate', async () => {
    const caPem = readFileSync(path.join(root, 'config/ca/ca.crt'), 'utf8');
    const res = await httpsViaProxy({ proxyPort, authority: `localhost:${upstream.port}`, ca: caPem, path: '/through-the-image' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ url: '/through-the-image', clientSubjectCN: 'pkcs12-client', clientCert: client.fingerprint256 });
    const logged = await proxy.waitForLog('upstream tls');
    expect((logged.clientCert as { fingerprint256?: string } | null)?.fingerprint256).toBe(client.fingerprint256);
  });
});
