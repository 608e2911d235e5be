/**
 * Two replicas of the Kubernetes example, without a cluster: the built CLI started twice
 * with the ConfigMap's config, reading the files the ConfigMap and the Secrets would
 * mount, laid out as the kubelet lays them out, under a temp folder standing for the
 * pod's root. Only what a test needs changes: the mount paths gain that folder, the proxy listens on a free
 * loopback port, and the upstream section sends the config's hosts to a local server.
 */
import { chmodSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { adminGet } from '../helpers/admin.js';
import { startCli, tempDir, type RunningCli } from '../helpers/cli.js';
import { makeCa, makeClientCert, makePkcs12, makeServerCert, writeFiles, type TestCert } from '../helpers/pki.js';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { deployment, find, proxyConfigText, proxyContainer, sourceOf, type ConfigMap } from './kubernetes.js';

const P12_PASS = 'partner p12 passphrase';

let root: string;
let remove: () => void;
let proxyCa: TestCert;
let upstream: TestUpstream;
let before: string[];
const readOnlyFolders: string[] = [];
const replicas: RunningCli[] = [];
const ports: number[] = [];

/**
 * A volume laid out as the kubelet writes Secret and ConfigMap volumes: the files in a
 * timestamped folder, `..data` a link to it, each key a link through `..data` (an update
 * swaps `..data`); the files at the volume's mode, in folders nobody may write into.
 */
function mountVolume(dir: string, files: Record<string, string | Buffer>, mode: number): void {
  const data = '..2026_01_01_00_00_00.000000001';
  writeFiles(path.join(dir, data), files);
  symlinkSync(data, path.join(dir, '..data'));
  for (const key of Object.keys(files)) {
    chmodSync(path.join(dir, data, key), mode);
    symlinkSync(path.join('..data', key), path.join(dir, key));
  }
  for (const folder of [path.join(dir, data), dir]) {
    chmodSync(folder, 0o555);
    readOnlyFolders.push(folder);
  }
}

/** Every file and folder under `dir` with its size, mode and modification time. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).map((entry) => {
    const file = path.join(entry.parentPath, entry.name);
    const { size, mode, mtimeMs } = statSync(file);
    return `${path.relative(dir, file)} ${size} ${mode.toString(8)} ${mtimeMs}`;
  });
}

beforeAll(async () => {
  ({ dir: root, remove } = tempDir('kubernetes'));
  proxyCa = makeCa('Cluster Proxy CA');
  const clientCa = makeCa('Partner Client CA');
  const serverCa = makeCa('Upstream Server CA');
  const apiClient = makeClientCert(clientCa, 'api-client');
  const partnerClient = makeClientCert(clientCa, 'partner-client');
  const server = makeServerCert(serverCa, { dnsNames: ['api.example.com', '*.partner.example.org'] });
  upstream = await startUpstream({ certPem: server.certPem, keyPem: server.keyPem, clientCa: clientCa.certPem });

  // What the README's kubectl lines put in each Secret, by name and key.
  const secrets: Record<string, Record<string, string | Buffer>> = {
    'mtls-proxy-ca': { 'tls.crt': proxyCa.certPem, 'tls.key': proxyCa.keyPem },
    'mtls-proxy-clients': {
      'api-client.crt': apiClient.certPem,
      'api-client.key': apiClient.keyPem,
      'partner-client.p12': makePkcs12(partnerClient, [clientCa], P12_PASS),
      'partner-client.pass': `${P12_PASS}\n`,
    },
  };
  // The config, with the mount paths moved under the temp folder and the test's changes.
  const mountPaths = (proxyContainer.volumeMounts ?? []).map((mount) => mount.mountPath);
  const config = parse(mountPaths.reduce((text, mount) => text.replaceAll(`${mount}/`, `${root}${mount}/`), proxyConfigText())) as Record<string, unknown>;
  config.listen = { host: '127.0.0.1', port: 0, allow: ['127.0.0.1/32'] };
  const upstreamRoot = path.join(root, 'test-upstream-ca.pem');
  writeFileSync(upstreamRoot, serverCa.certPem);
  config.upstream = {
    ca: [upstreamRoot],
    resolve: { 'api.example.com:443': `127.0.0.1:${upstream.port}`, 'eu.partner.example.org:443': `127.0.0.1:${upstream.port}` },
  };

  const template = deployment.spec.template;
  for (const mount of proxyContainer.volumeMounts ?? []) {
    const volume = template.spec.volumes!.find((v) => v.name === mount.name)!;
    const source = sourceOf(volume);
    const files = source.kind === 'Secret' ? secrets[source.name]! : { ...find<ConfigMap>('ConfigMap', source.name).data, 'config.yaml': stringify(config) };
    // The kubelet's default mode for a volume's files is 0644.
    mountVolume(path.join(root, mount.mountPath), files, (volume.secret ?? volume.configMap)?.defaultMode ?? 0o644);
  }
  const configFile = path.join(root, 'etc/mtls-proxy/config.yaml');
  before = snapshot(root);

  for (let i = 0; i < 2; i++) {
    const replica = startCli(['start'], { cwd: root, env: { MTLS_PROXY_CONFIG: configFile } });
    replicas.push(replica);
    ports.push((await replica.waitForLog('listening')).port as number);
  }
});

afterAll(async () => {
  for (const replica of replicas) {
    replica.child.kill('SIGTERM');
    await replica.exited;
  }
  await upstream?.close();
  // Folders at 0555 are closed to removal by anyone but root.
  for (const folder of readOnlyFolders) chmodSync(folder, 0o755);
  remove?.();
});

describe('two replicas of the Kubernetes example', () => {
  it('both present the brought CA from the Secret, which a client trusts alone', async () => {
    for (const port of ports) {
      // As the kubelet's httpGet probe asks: Host is the pod's address and port.
      expect(await adminGet(port, '/healthz', ['Host: 10.244.1.7:8080'])).toMatchObject({ status: 200, body: '{"status":"ok"}' });
      expect((await adminGet(port, '/ca.crt')).body).toBe(proxyCa.certPem);
      const res = await httpsViaProxy({ proxyPort: port, authority: 'api.example.com:443', ca: proxyCa.certPem, path: '/from-a-replica' });
      expect(res.status).toBe(200);
      expect(res.peerCert?.issuer.CN).toBe('Cluster Proxy CA');
    }
  });

  it('present the client certificates from the Secret: PEM, and PKCS#12 with its passphraseFile', async () => {
    for (const port of ports) {
      const api = await httpsViaProxy({ proxyPort: port, authority: 'api.example.com:443', ca: proxyCa.certPem });
      expect(JSON.parse(api.body)).toMatchObject({ clientSubjectCN: 'api-client', servername: 'api.example.com' });
      const partner = await httpsViaProxy({ proxyPort: port, authority: 'eu.partner.example.org:443', ca: proxyCa.certPem });
      expect(JSON.parse(partner.body)).toMatchObject({ clientSubjectCN: 'partner-client', servername: 'eu.partner.example.org' });
    }
  });

  it('warn once for each key the group may read, as the README says', () => {
    for (const replica of replicas) {
      const warned = replica.lines.filter((line) => line.level === 40 && String(line.msg).includes('(mode 0440)'));
      expect(warned.map((line) => path.basename(String(line.msg).split(' ')[0]!)).sort()).toEqual(['api-client.key', 'partner-client.p12', 'tls.key']);
    }
  });

  it('write no file: a read-only root filesystem and read-only mounts are enough', () => {
    expect(snapshot(root)).toEqual(before);
  });
});
