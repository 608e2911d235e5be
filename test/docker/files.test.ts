/**
 * The Docker image, the compose example and the systemd unit say what the contract
 * asks. No Docker engine runs the tests: image-like.test.ts does what the image does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { draftConfig } from '../../src/config/parse.js';
import { CLI_PATH } from '../helpers/cli.js';
import { REPO, argsOf, copiedFromRepository, readStages } from './dockerfile.js';

const stages = readStages(path.join(REPO, 'Dockerfile'));
const final = stages.at(-1)!;

describe('Dockerfile', () => {
  it('builds in one stage and runs Node 24 in the last', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(final.from).toMatch(/^node:24(-|$)/);
    expect(argsOf(stages[0]!, 'RUN').join('\n')).toMatch(/npm ci\b/);
    expect(argsOf(stages[0]!, 'RUN').join('\n')).toMatch(/npm run build\b/);
  });

  it('installs production dependencies only and copies the built dist/ from the build stage', () => {
    const runs = argsOf(final, 'RUN').join('\n');
    expect(runs).toMatch(/npm ci --omit=dev --ignore-scripts\b/);
    expect(runs).not.toMatch(/npm (install|i)\b/);
    const copies = copiedFromRepository(stages, final);
    expect(copies).toContainEqual({ source: 'dist', destination: './dist' });
    expect(argsOf(final, 'COPY').some((args) => args.includes('--from=') && args.includes('dist'))).toBe(true);
    expect(copies.map((c) => c.source)).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
  });

  it('copies into the build stage every repository file `npm run build` reads', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const read = `${scripts.build} ${scripts.bundle}`.match(/\b(?:src|scripts)\/[\w./-]+|\btsconfig[\w.]*\.json\b/g) ?? [];
    expect(read).toEqual(expect.arrayContaining(['tsconfig.build.json', 'scripts/bundle.mjs']));
    const copied = copiedFromRepository(stages, stages[0]!).map((c) => c.source);
    for (const file of read) expect(copied.some((source) => file === source || file.startsWith(`${source}/`)), file).toBe(true);
  });

  it('runs as a user who is not root', () => {
    const user = argsOf(final, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('exposes 8080, keeps the CA in a volume, and starts the proxy by default', () => {
    expect(argsOf(final, 'EXPOSE')).toContain('8080');
    expect(argsOf(final, 'VOLUME').join(' ')).toMatch(/["\s[]\/ca["\s\]]|^\/ca$/);
    const entrypoint = JSON.parse(argsOf(final, 'ENTRYPOINT').at(-1)!) as string[];
    const cmd = JSON.parse(argsOf(final, 'CMD').at(-1)!) as string[];
    expect([...entrypoint, ...cmd]).toEqual(['node', '/app/dist/cli.js', 'start']);
    expect(argsOf(final, 'WORKDIR').at(-1)).toBe('/app');
  });

  it('checks /healthz with Node, not curl, failing when nothing answers', () => {
    const healthcheck = argsOf(final, 'HEALTHCHECK').join('\n');
    expect(healthcheck).toContain('/healthz');
    expect(healthcheck).not.toMatch(/curl|wget/);
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    // image-like.test.ts runs the same script against a running proxy; here against a port that refuses.
    const refused = spawnSync(process.execPath, ['-e', command[2]!.replace(':8080/', ':1/')], { encoding: 'utf8', timeout: 10_000 });
    expect(refused.status).toBe(1);
  });

  it('leaves key material and build output out of the build context', () => {
    const ignored = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', 'ca', 'config.yaml', '*.key', '*.p12', '.git']) expect(ignored).toContain(entry);
    // Whatever the image copies from the context (not from a stage) must not be ignored.
    const fromContext = stages.flatMap((stage) => argsOf(stage, 'COPY').filter((args) => !args.includes('--from=')));
    expect(fromContext.length).toBeGreaterThan(0);
    for (const args of fromContext) for (const source of args.split(' ').slice(0, -1)) expect(ignored, source).not.toContain(source);
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  networks?: string[];
}

interface Compose {
  services: Record<string, ComposeService>;
  networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

const COMPOSE_DIR = path.join(REPO, 'examples/compose');
const compose = parse(readFileSync(path.join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8')) as Compose;
const proxyService = compose.services['mtls-proxy']!;
const app = compose.services.app!;

/** The volume and the path it is mounted at, for `name:/path[:mode]` entries. */
function mounts(service: ComposeService): Array<{ volume: string; target: string }> {
  return (service.volumes ?? []).map((entry) => {
    const [volume = '', target = ''] = entry.split(':');
    return { volume, target };
  });
}

describe('the compose example', () => {
  it('builds the proxy from the repository Dockerfile and mounts its config where MTLS_PROXY_CONFIG points', () => {
    expect(proxyService.build).toBe('../..');
    const configPath = proxyService.environment?.MTLS_PROXY_CONFIG;
    expect(configPath).toBeDefined();
    expect(mounts(proxyService)).toContainEqual({ volume: './config.yaml', target: configPath });
  });

  it('points the app at the proxy and at the proxy CA in a volume both mount', () => {
    const env = app.environment ?? {};
    expect(env.HTTPS_PROXY).toBe('http://mtls-proxy:8080');
    const caVolume = mounts(proxyService).find((m) => m.target === '/ca')?.volume;
    expect(caVolume).toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(caVolume);
    const appCa = mounts(app).find((m) => m.volume === caVolume);
    expect(appCa).toBeDefined();
    for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE']) {
      expect(env[name], name).toBe(`${appCa!.target}/ca.crt`);
    }
  });

  const proxyConfig = parse(readFileSync(path.join(COMPOSE_DIR, 'config.yaml'), 'utf8')) as {
    listen: { host: string; allow: string[] };
    ca: { dir: string };
    intercept: string;
    clientCertificates: Array<Record<string, string>>;
  };

  it('has the proxy listen on the compose network, allowing its subnet and the healthcheck', () => {
    expect(proxyConfig.listen.host).toBe('0.0.0.0');
    const subnets = (proxyService.networks ?? []).flatMap((name) => compose.networks[name]!.ipam.config.map((c) => c.subnet));
    expect(subnets.length).toBeGreaterThan(0);
    for (const subnet of subnets) expect(proxyConfig.listen.allow).toContain(subnet);
    expect(proxyConfig.listen.allow).toContain('127.0.0.1/32');
    expect(app.networks).toEqual(proxyService.networks);
    expect(proxyConfig.ca.dir).toBe('/ca');
    // SSL_CERT_FILE holding only the proxy's CA is right only when every HTTPS server is the proxy.
    expect(proxyConfig.intercept).toBe('all');
  });

  it('reads every certificate, key and passphrase from a Docker secret the proxy mounts', () => {
    const files = proxyConfig.clientCertificates.flatMap((rule) =>
      ['cert', 'key', 'pfx', 'passphraseFile'].flatMap((field) => (rule[field] === undefined ? [] : [rule[field]])),
    );
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(proxyConfig.clientCertificates.some((rule) => rule.pfx !== undefined && rule.passphraseFile !== undefined)).toBe(true);
    for (const file of files) {
      const secret = /^\/run\/secrets\/(\w+)$/.exec(file)?.[1];
      expect(secret, file).toBeDefined();
      expect(proxyService.secrets).toContain(secret);
      expect(compose.secrets[secret!]?.file).toMatch(/^\.\/secrets\//);
    }
  });

  it('passes the config schema', () => {
    const draft = draftConfig(readFileSync(path.join(COMPOSE_DIR, 'config.yaml'), 'utf8'), path.join(COMPOSE_DIR, 'config.yaml'), {}, {}, COMPOSE_DIR);
    expect(draft.config.listen.allow).toEqual(['172.28.0.0/24', '127.0.0.1/32']);
    expect(draft.passphraseFiles).toEqual([{ index: 1, path: '/run/secrets/partner_client_pass' }]);
  });
});

describe('the systemd unit', () => {
  const file = path.join(REPO, 'examples/systemd/mtls-proxy.service');
  const unit = readFileSync(file, 'utf8');
  const values = (key: string): string[] =>
    [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

  it('starts the CLI with a config file and reloads it with SIGHUP', () => {
    expect(values('ExecStart')).toEqual([expect.stringMatching(/\/mtls-proxy start -c \/etc\/mtls-proxy\/config\.yaml$/)]);
    expect(values('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
  });

  it('runs as its own user, writing only its state folder', () => {
    expect(values('User')).toEqual(['mtls-proxy']);
    expect(values('NoNewPrivileges')).toEqual(['yes']);
    expect(values('ProtectSystem')).toEqual(['strict']);
    expect(values('StateDirectory')).toEqual(['mtls-proxy']);
    expect(values('ReadWritePaths')).toEqual(['/var/lib/mtls-proxy']);
  });

  it('is a unit systemd-analyze accepts without a complaint', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtls-proxy-unit-'));
    try {
      // verify insists that ExecStart's program exists: the built CLI stands in for the installed one.
      const copy = path.join(dir, 'mtls-proxy.service');
      writeFileSync(copy, unit.replace('/usr/local/bin/mtls-proxy', CLI_PATH));
      const verified = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 20_000 });
      expect([verified.status, verified.stderr]).toEqual([0, '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
