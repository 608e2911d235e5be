/** Idle client connections held open through a proxy: CONNECT, then a TLS handshake, then nothing. */
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tlsOptionsOf } from './dispatcher.js';
import type { Job, JobResults } from './protocol.js';
import type { JobContext } from './jobs.js';
import { connectTunnel } from './tunnel.js';

const HANDSHAKE_TIMEOUT_MS = 15_000;

async function openOne(job: Extract<Job, { kind: 'idle' }>, proxyPort: number): Promise<Socket> {
  const tunnel = await connectTunnel(proxyPort, `${job.host}:443`);
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({ socket: tunnel, servername: job.host, ALPNProtocols: ['http/1.1'], ...tlsOptionsOf(job.route) }, () => {
      clearTimeout(timer);
      resolve(tls);
    });
    const timer = setTimeout(() => tls.destroy(new Error('TLS handshake timed out')), HANDSHAKE_TIMEOUT_MS);
    tls.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function holdIdleConnections(job: Extract<Job, { kind: 'idle' }>, ctx: JobContext): Promise<JobResults['idle']> {
  const proxyPort = job.route.proxyPort;
  if (proxyPort === null) throw new Error('Idle connections are measured through a proxy only.');
  const sockets: Socket[] = [];
  let failed = 0;
  let firstError: string | null = null;
  let next = 0;
  const opener = async (): Promise<void> => {
    while (next < job.count) {
      next++;
      try {
        const socket = await openOne(job, proxyPort);
        // Errors after the handshake (the proxy closing idle ones) must not crash the client.
        socket.on('error', () => socket.destroy());
        sockets.push(socket);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, opener));
  ctx.mark('opened');
  await ctx.released();
  const opened = sockets.filter((s) => !s.destroyed).length;
  for (const socket of sockets) socket.destroy();
  return { opened, failed, firstError };
}
