/** The fallback upstream when nginx is absent: Node's https with requestCert, in its own process. */
import path from 'node:path';
import type { BenchPki } from './pki.js';
import { startService, waitForListeningLine, type Service } from './process/service.js';
import { standaloneScript } from './process/standalone.js';
import type { UpstreamFiles } from './upstream-layout.js';

interface NodeUpstreamArgs {
  cert: string;
  key: string;
  clientCa: string;
  filesDir: string;
}

export async function startNodeUpstream(files: UpstreamFiles, pki: BenchPki): Promise<{ service: Service; port: number }> {
  const args: NodeUpstreamArgs = { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.clientCa, filesDir: files.filesDir };
  const service = startService({
    name: 'node upstream',
    command: process.execPath,
    args: [standaloneScript('upstream-node-server.ts'), JSON.stringify(args)],
    logFile: path.join(files.dir, 'stdout.log'),
  });
  return { service, port: await waitForListeningLine(service) };
}
