/**
 * The Kubernetes example gives the image what it needs. No cluster runs the tests: the
 * manifests are read as YAML and checked against the Dockerfile, the project's config
 * loader and the Secrets its README creates. kubernetes-replicas.test.ts starts the
 * config as the replicas would.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { draftConfig } from '../../src/config/parse.js';
import { watchedFiles } from '../../src/reload/files.js';
import { REPO, argsOf, readStages } from '../docker/dockerfile.js';
import {
  KUBE_DIR,
  appJob,
  createdByReadme,
  deployment,
  fileSource,
  find,
  kustomization,
  manifests,
  proxyConfigText,
  proxyContainer,
  type Container,
  type NetworkPolicy,
  type Service,
} from './kubernetes.js';

const final = readStages(path.join(REPO, 'Dockerfile')).at(-1)!;
const configPath = /MTLS_PROXY_CONFIG=(\S+)/.exec(argsOf(final, 'ENV').join(' '))?.[1];
const config = draftConfig(proxyConfigText(), configPath ?? 'unset', {}, {}, '/').config;
const template = deployment.spec.template;
const podLabels = template.metadata.labels ?? {};
const created = createdByReadme();

/** A port as the container names or numbers it, as its number. */
function portNumber(container: Container, port: number | string | undefined): number | undefined {
  return typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Whether a selector's labels pick pods with these labels; an empty one, which picks every pod, never counts. */
function isSubset(labels: Record<string, string>, of: Record<string, string>): boolean {
  return Object.keys(labels).length > 0 && Object.entries(labels).every(([key, value]) => of[key] === value);
}

describe('the Kubernetes example', () => {
  it('parses, and kustomization.yaml applies every manifest but the app example', () => {
    const files = readdirSync(KUBE_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'app-example.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const m of [...manifests, appJob]) {
      expect(m.apiVersion, m.kind).toMatch(/^(v1|[\w.]+\/v1)$/);
      expect(m.metadata.name, m.kind).toMatch(/^[a-z0-9-]+$/);
    }
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service']);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec.template.spec.containers).toHaveLength(1);
  });

  it("mounts a config the project's loader accepts where the image's MTLS_PROXY_CONFIG points", () => {
    expect(configPath).toBe('/etc/mtls-proxy/config.yaml');
    expect(fileSource(template, proxyContainer, configPath!)).toEqual({
      kind: 'ConfigMap',
      name: 'mtls-proxy-config',
      key: 'config.yaml',
      mountPath: '/etc/mtls-proxy',
    });
    expect(proxyContainer.env?.find((e) => e.name === 'MTLS_PROXY_CONFIG')).toBeUndefined();
    expect(config.listen.host).toBe('0.0.0.0');
    expect(config.listen.allow?.length).toBeGreaterThan(0);
    // A brought CA: every replica presents the same one, and none writes a CA of its own.
    expect(config.ca.cert).toBeDefined();
    expect(config.ca.key).toBeDefined();
    expect(config.log.keylog).toBeUndefined();
    expect(config.clientCertificates.some((rule) => rule.pfx !== undefined && rule.passphraseFile !== undefined)).toBe(true);
  });

  it('mounts every file the config names from the Secret the README creates, under its key', () => {
    const files = watchedFiles(config).filter((file) => file !== config.file);
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const source = fileSource(template, proxyContainer, file);
      expect(source, file).not.toBeNull();
      // The CA's key and the client identities are secrets: never a ConfigMap.
      expect(source!.kind, file).toBe('Secret');
      expect(created.get(source!.name), `${file}: ${source!.name}`).toEqual({ kind: 'Secret', keys: expect.arrayContaining([source!.key]) });
    }
    expect(fileSource(template, proxyContainer, config.ca.cert!)).toMatchObject({ name: 'mtls-proxy-ca', key: 'tls.crt' });
    expect(fileSource(template, proxyContainer, config.ca.key!)).toMatchObject({ name: 'mtls-proxy-ca', key: 'tls.key' });
    // The CA Secret holds the CA and nothing else: client files live in another one.
    for (const rule of config.clientCertificates) {
      for (const file of [rule.cert, rule.key, rule.pfx, rule.passphraseFile].filter((f) => f !== undefined)) {
        expect(fileSource(template, proxyContainer, file)!.name, file).not.toBe('mtls-proxy-ca');
      }
    }
  });

  it('mounts whole volumes read-only, Secrets at mode 0440 for the pod group', () => {
    const securityContext = template.spec.securityContext ?? {};
    for (const mount of proxyContainer.volumeMounts ?? []) {
      expect(mount.readOnly, mount.name).toBe(true);
      // A subPath mount never sees the kubelet's updates, and the proxy would never reload them.
      expect(mount.subPath, mount.name).toBeUndefined();
    }
    const secrets = (template.spec.volumes ?? []).filter((v) => v.secret !== undefined);
    expect(secrets.length).toBe(2);
    for (const volume of secrets) expect(volume.secret!.defaultMode, volume.name).toBe(0o440);
    expect(securityContext.fsGroup).toBe(securityContext.runAsGroup);
  });

  it("runs as the Dockerfile's user, not root, on a read-only root filesystem", () => {
    // The official Node images create the user node as uid and gid 1000.
    expect(argsOf(final, 'USER').at(-1)).toBe('node');
    const pod = template.spec.securityContext ?? {};
    expect([pod.runAsNonRoot, pod.runAsUser, pod.runAsGroup]).toEqual([true, 1000, 1000]);
    expect(proxyContainer.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(proxyContainer.securityContext?.runAsUser).toBeUndefined();
  });

  it('runs the image the Dockerfile and the compose example build, with its default command', () => {
    const compose = parse(readFileSync(path.join(REPO, 'examples/compose/docker-compose.yml'), 'utf8')) as { services: Record<string, { image?: string }> };
    expect(proxyContainer.image).toBe(compose.services['mtls-proxy']!.image);
    expect(readFileSync(path.join(REPO, 'Dockerfile'), 'utf8')).toContain(`docker build -t ${proxyContainer.image} .`);
    expect(proxyContainer.args).toEqual(JSON.parse(argsOf(final, 'CMD').at(-1)!));
  });

  it("listens on the config's port, the Dockerfile's EXPOSE, which the probes, the Service and the NetworkPolicy reach", () => {
    const port = config.listen.port;
    expect(argsOf(final, 'EXPOSE')).toEqual([String(port)]);
    expect(proxyContainer.ports?.map((p) => p.containerPort)).toEqual([port]);
    for (const probe of [proxyContainer.readinessProbe, proxyContainer.livenessProbe]) {
      expect(probe?.httpGet?.path).toBe('/healthz');
      expect(portNumber(proxyContainer, probe?.httpGet?.port)).toBe(port);
    }
    const service = find<Service>('Service');
    expect(service.spec.ports).toHaveLength(1);
    expect(portNumber(proxyContainer, service.spec.ports[0]!.targetPort ?? service.spec.ports[0]!.port)).toBe(port);
    const policy = find<NetworkPolicy>('NetworkPolicy');
    expect(policy.spec.ingress.flatMap((rule) => rule.ports.map((p) => portNumber(proxyContainer, p.port)))).toEqual([port]);
  });

  it("selects the Deployment's pods from the Service and the NetworkPolicy, which admits only the app's label", () => {
    expect(deployment.spec.selector?.matchLabels).toEqual(find<Service>('Service').spec.selector);
    expect(isSubset(deployment.spec.selector!.matchLabels, podLabels)).toBe(true);
    const policy = find<NetworkPolicy>('NetworkPolicy');
    expect(isSubset(policy.spec.podSelector.matchLabels, podLabels)).toBe(true);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const from = policy.spec.ingress.flatMap((rule) => rule.from);
    expect(from).toEqual([{ podSelector: { matchLabels: { 'mtls-proxy-client': 'true' } } }]);
    // Nobody is admitted for carrying the proxy's own labels, and the app example is.
    expect(isSubset(from[0]!.podSelector!.matchLabels, podLabels)).toBe(false);
    expect(isSubset(from[0]!.podSelector!.matchLabels, appJob.spec.template.metadata.labels ?? {})).toBe(true);
  });

  it('points the app example at the Service and at the CA certificate alone, from the ConfigMap the README creates', () => {
    const app = appJob.spec.template.spec.containers[0]!;
    const env = Object.fromEntries((app.env ?? []).map((e) => [e.name, e.value]));
    const service = find<Service>('Service');
    expect(env.HTTPS_PROXY).toBe(`http://${service.metadata.name}:${service.spec.ports[0]!.port}`);
    expect(env.HTTP_PROXY).toBe(env.HTTPS_PROXY);
    const caFiles = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE'].map((name) => env[name]);
    expect(new Set(caFiles).size).toBe(1);
    const source = fileSource(appJob.spec.template, app, caFiles[0]!);
    expect(source).toMatchObject({ kind: 'ConfigMap', name: 'mtls-proxy-ca-cert', key: 'ca.crt' });
    expect(created.get('mtls-proxy-ca-cert')).toEqual({ kind: 'ConfigMap', keys: ['ca.crt'] });
    // The CA's key stays with the proxy.
    expect((appJob.spec.template.spec.volumes ?? []).some((v) => v.secret !== undefined)).toBe(false);
    // SSL_CERT_FILE holding only the proxy's CA is right only when every HTTPS server is the proxy.
    expect(config.intercept).toBe('all');
  });

  it('shows the same app settings in its README as in app-example.yaml', () => {
    const readme = readFileSync(path.join(KUBE_DIR, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as { metadata: { labels: Record<string, string> }; spec: typeof appJob.spec.template.spec });
    expect(blocks).toHaveLength(1);
    const app = appJob.spec.template.spec.containers[0]!;
    expect(blocks[0]!.metadata.labels['mtls-proxy-client']).toBe('true');
    expect(blocks[0]!.spec.containers[0]!.env).toEqual(app.env);
    expect(blocks[0]!.spec.containers[0]!.volumeMounts).toEqual(app.volumeMounts);
    expect(blocks[0]!.spec.volumes).toEqual(appJob.spec.template.spec.volumes);
  });

  it('asks for memory and CPU, and limits memory above what it requests', () => {
    const mebibytes = (value: string | undefined): number => {
      const [, amount = 'NaN', unit] = /^(\d+)(Mi|Gi)$/.exec(value ?? '') ?? [];
      return Number(amount) * (unit === 'Gi' ? 1024 : 1);
    };
    const { requests = {}, limits = {} } = proxyContainer.resources ?? {};
    expect(requests.cpu).toMatch(/^\d+m$/);
    // The figures deployment.yaml cites: about 180 MiB under mixed traffic on Node 24, up to 400 MiB during a 1 GiB download after a full bench run.
    expect(mebibytes(requests.memory)).toBeGreaterThanOrEqual(180);
    expect(mebibytes(limits.memory)).toBeGreaterThan(400);
  });

  it('is what kubectl kustomize builds from kustomization.yaml', (context) => {
    const built = spawnSync('kubectl', ['kustomize', KUBE_DIR], { encoding: 'utf8', timeout: 30_000 });
    if (built.error) return context.skip('kubectl is not installed');
    expect(built.stderr).toBe('');
    const key = (m: { kind: string; metadata: { name: string } }): string => `${m.kind}/${m.metadata.name}`;
    const objects = parseAllDocuments(built.stdout).map((doc) => doc.toJS() as typeof manifests[number]);
    expect(objects.map(key).sort()).toEqual(manifests.map(key).sort());
    for (const object of objects) expect(object, key(object)).toEqual(manifests.find((m) => key(m) === key(object)));
  });
});
