/** The mTLS upstream every peer talks to: nginx when installed, else a Node server. */
import { chmodSync, closeSync, createReadStream, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { BenchPki } from './pki.js';
import type { Service } from './process/service.js';
import { nginxVersion, startNginx } from './upstream-nginx.js';
import { PATHS, type UpstreamFiles } from './upstream-layout.js';
import { startNodeUpstream } from './upstream-node.js';

export interface Upstream {
  /** e.g. "nginx 1.22.1" or "node v20.20.2 https". */
  readonly label: string;
  readonly port: number;
  readonly service: Service;
  readonly bigFileBytes: number;
}

/**
 * A sparse file of zeros, read once so that its pages are cached: the first
 * peer to download it must not pay for populating the page cache.
 */
async function writeBigFile(filesDir: string, bytes: number): Promise<void> {
  mkdirSync(filesDir, { recursive: true });
  const file = path.join(filesDir, path.basename(PATHS.big));
  const fd = openSync(file, 'w', 0o644);
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) void chunk;
}

export async function startUpstream(runDir: string, pki: BenchPki, bigFileBytes: number, preferNode: boolean): Promise<Upstream> {
  const dir = path.join(runDir, 'upstream');
  const files: UpstreamFiles = { dir, filesDir: path.join(dir, 'files') };
  await writeBigFile(files.filesDir, bigFileBytes);
  // nginx workers drop root: they must be able to walk to the files.
  for (const d of [runDir, dir, files.filesDir]) chmodSync(d, 0o755);
  const version = preferNode ? null : nginxVersion();
  if (version !== null) {
    const { service, port } = await startNginx(files, pki);
    return { label: `nginx ${version}`, port, service, bigFileBytes };
  }
  const { service, port } = await startNodeUpstream(files, pki);
  return { label: `node ${process.version} https${preferNode ? '' : ' (nginx is not installed)'}`, port, service, bigFileBytes };
}
