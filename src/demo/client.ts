/** The demo's client: one HTTPS GET through the proxy, as any program would send it (CONNECT, then TLS trusting the proxy's CA). */
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { DemoError } from './errors.js';

export interface DemoResponse {
  readonly status: number;
  readonly body: string;
}

const TIMEOUT_MS = 10_000;

interface GetOptions {
  readonly proxyPort: number;
  readonly host: string;
  readonly path: string;
  readonly proxyCaPem: string;
}

export async function getThroughProxy(options: GetOptions): Promise<DemoResponse> {
  try {
    return await get(options);
  } catch (err) {
    if (err instanceof DemoError) throw err;
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : (err as Error).message;
    throw new DemoError(`the request to https://${options.host}${options.path} through the proxy failed: ${reason}`, { cause: err });
  }
}

async function get(options: GetOptions): Promise<DemoResponse> {
  const { host } = options;
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  // agent: false, a fresh agent: Node 24's global one follows HTTP_PROXY under NODE_USE_ENV_PROXY,
  // which may point anywhere but at the demo's own proxy.
  const connect = httpRequest({ host: '127.0.0.1', port: options.proxyPort, method: 'CONNECT', path: `${host}:443`, headers: { host: `${host}:443` }, agent: false, signal });
  connect.end();
  const [answer, socket] = (await once(connect, 'connect', { signal })) as [IncomingMessage, Socket];
  try {
    if (answer.statusCode !== 200) throw new DemoError(`the proxy answered the CONNECT to ${host}:443 with ${answer.statusCode}`);
    const tls = tlsConnect({ socket, servername: host, ca: options.proxyCaPem });
    await once(tls, 'secureConnect', { signal });
    const req = httpsRequest({ createConnection: () => tls, host, path: options.path, headers: { host }, signal });
    req.end();
    const [res] = (await once(req, 'response', { signal })) as [IncomingMessage];
    let body = '';
    for await (const chunk of res) body += String(chunk);
    return { status: res.statusCode ?? 0, body };
  } finally {
    socket.destroy();
  }
}
