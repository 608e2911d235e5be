/**
 * Reads examples/kubernetes/ the way the tests in this folder check it: the manifests
 * kustomization.yaml lists (every YAML document in them), the app example, the proxy's
 * config from the ConfigMap, and the Secrets and ConfigMaps its README creates with kubectl.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { REPO } from '../docker/dockerfile.js';

export const KUBE_DIR = path.join(REPO, 'examples/kubernetes');

export interface Metadata {
  name: string;
  labels?: Record<string, string>;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
}

export interface Probe {
  httpGet?: { path: string; port: number | string };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: ContainerPort[];
  env?: Array<{ name: string; value?: string }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsUser?: number; runAsNonRoot?: boolean };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }>;
}

export interface Volume {
  name: string;
  secret?: { secretName: string; defaultMode?: number };
  configMap?: { name: string; defaultMode?: number };
}

export interface PodTemplate {
  metadata: Metadata;
  spec: {
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number };
    containers: Container[];
    volumes?: Volume[];
  };
}

export interface Workload extends Manifest {
  spec: { replicas?: number; selector?: { matchLabels: Record<string, string> }; template: PodTemplate };
}

export interface Service extends Manifest {
  spec: { selector: Record<string, string>; ports: Array<{ name?: string; port: number; targetPort?: number | string }> };
}

export interface NetworkPolicy extends Manifest {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress: Array<{ from: Array<{ podSelector?: { matchLabels: Record<string, string> } }>; ports: Array<{ protocol?: string; port: number | string }> }>;
  };
}

export interface ConfigMap extends Manifest {
  data: Record<string, string>;
}

/** Every YAML document in a file of the example, as plain objects; a document with errors throws. */
export function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(path.join(KUBE_DIR, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as Manifest;
  });
}

export const kustomization = parse(readFileSync(path.join(KUBE_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };

/** What `kubectl apply -k` applies. */
export const manifests: Manifest[] = kustomization.resources.flatMap(readManifests);

export function find<T extends Manifest>(kind: string, name?: string): T {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1) throw new Error(`examples/kubernetes has ${found.length} ${kind} objects${name ? ` named ${name}` : ''}, not one`);
  return found[0] as T;
}

export const deployment = find<Workload>('Deployment');
export const proxyContainer = deployment.spec.template.spec.containers[0]!;
export const appJob = readManifests('app-example.yaml')[0] as Workload;

/** The object a pod volume comes from. */
export function sourceOf(volume: Volume): { kind: 'Secret' | 'ConfigMap'; name: string } {
  if (volume.secret) return { kind: 'Secret', name: volume.secret.secretName };
  if (volume.configMap) return { kind: 'ConfigMap', name: volume.configMap.name };
  throw new Error(`volume ${volume.name} is neither a Secret nor a ConfigMap`);
}

/**
 * Where a file the container reads comes from: the volume mounted at its folder, and
 * the key of that volume's Secret or ConfigMap. Secret and ConfigMap volumes are flat,
 * one file per key, so the folder must be the mount point itself.
 */
export function fileSource(template: PodTemplate, container: Container, file: string): { kind: 'Secret' | 'ConfigMap'; name: string; key: string; mountPath: string } | null {
  const mount = container.volumeMounts?.find((m) => m.mountPath === path.posix.dirname(file));
  const volume = template.spec.volumes?.find((v) => v.name === mount?.name);
  if (!mount || !volume) return null;
  return { ...sourceOf(volume), key: path.posix.basename(file), mountPath: mount.mountPath };
}

/** The proxy's config, as the ConfigMap holds it. */
export function proxyConfigText(): string {
  const configMap = find<ConfigMap>('ConfigMap', 'mtls-proxy-config');
  return configMap.data['config.yaml']!;
}

/**
 * The keys of each Secret and ConfigMap the README's `kubectl create` lines make:
 * `secret tls NAME` holds tls.crt and tls.key; `--from-file=KEY=PATH` names a key.
 */
export function createdByReadme(): Map<string, { kind: 'Secret' | 'ConfigMap'; keys: string[] }> {
  const text = readFileSync(path.join(KUBE_DIR, 'README.md'), 'utf8').replace(/\\\n\s*/g, ' ');
  const created = new Map<string, { kind: 'Secret' | 'ConfigMap'; keys: string[] }>();
  for (const [line = '', what = '', name = ''] of text.matchAll(/^kubectl create (secret tls|secret generic|configmap) ([\w.-]+).*$/gm)) {
    const kind = what === 'configmap' ? 'ConfigMap' : 'Secret';
    const fromFiles = [...line.matchAll(/--from-file=([\w.-]+)=\S+/g)].map((m) => m[1]!);
    created.set(name, { kind, keys: what === 'secret tls' ? ['tls.crt', 'tls.key'] : fromFiles });
  }
  return created;
}
