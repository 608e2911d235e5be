/**
 * The h2 job: one client connection, straight to the upstream or through a
 * proxy's CONNECT tunnel, TLS with ALPN h2 only (anything else fails the job),
 * then many concurrent streams on it.
 */
import { connect as http2Connect, constants, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { originOf, tlsOptionsOf } from './dispatcher.js';
import type { JobContext } from './jobs.js';
import { measuredLoops } from './loops.js';
import type { Job, JobResults, Route } from './protocol.js';
import { connectTunnel } from './tunnel.js';

async function openTls(route: Route, host: string): Promise<TLSSocket> {
  const options = { servername: host, ALPNProtocols: ['h2'], ...tlsOptionsOf(route) };
  const socket =
    route.proxyPort === null
      ? tlsConnect({ host: '127.0.0.1', port: route.upstreamPort, ...options })
      : tlsConnect({ socket: await connectTunnel(route.proxyPort, `${host}:443`), ...options });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  if (socket.alpnProtocol !== 'h2') {
    socket.destroy();
    throw new Error(`ALPN chose ${socket.alpnProtocol || 'nothing'}, not h2`);
  }
  return socket;
}

/** One GET on its own stream; the body dropped, or returned when asked. */
function get(session: ClientHttp2Session, path: string, text = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path }, { endStream: true });
    let status = 0;
    let body = '';
    let error: Error | null = null;
    stream.once('response', (headers) => (status = Number(headers[':status'])));
    if (text) stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    else stream.resume();
    stream.once('error', (err) => (error = err));
    stream.once('close', () => {
      if (error === null && stream.rstCode === constants.NGHTTP2_NO_ERROR && status !== 0) resolve({ status, body });
      else reject(error ?? new Error(`stream closed with code ${stream.rstCode} before a response`));
    });
  });
}

export async function h2Loop(job: Extract<Job, { kind: 'h2Loop' }>, ctx: JobContext): Promise<JobResults['h2Loop']> {
  const socket = await openTls(job.route, job.host);
  const session = http2Connect(originOf(job.route, job.host), { createConnection: () => socket });
  // A session failure reaches every open stream as its own error.
  session.on('error', () => {});
  try {
    const firstBodies: string[] = [];
    for (const path of job.firstPaths) firstBodies.push((await get(session, path, true)).body);
    const result = await measuredLoops(job, ctx, async () => (await get(session, job.path)).status);
    return { ...result, firstBodies };
  } finally {
    session.destroy();
  }
}
