import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';

export interface ProxyResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The certificate the client saw from whoever terminated its TLS. */
  peerCert: PeerCertificate | null;
}

/** Sends CONNECT host:port to the proxy and resolves with the raw socket and the proxy's status. */
export function connectThrough(
  proxyPort: number,
  authority: string,
  headers: Record<string, string> = {},
): Promise<{ socket: Socket; status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: authority, headers: { host: authority, ...headers } });
    req.once('connect', (res, socket, head) => {
      const status = res.statusCode ?? 0;
      if (status === 200) return resolve({ socket, status, headers: res.headers, body: '' });
      // A refused CONNECT still carries a body: read it to the end.
      const chunks: Buffer[] = [head];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.once('close', () => resolve({ socket, status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ socket: res.socket, status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

export interface HttpsViaProxyOptions {
  proxyPort: number;
  /** host:port for the CONNECT. */
  authority: string;
  /** The CA the client trusts (the proxy's, or the real server's for tunnels). */
  ca: string | string[];
  servername?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Node's https over a CONNECT tunnel, as a proxy-aware client does it. */
export async function httpsViaProxy(options: HttpsViaProxyOptions): Promise<ProxyResponse> {
  const tunnel = await connectThrough(options.proxyPort, options.authority);
  if (tunnel.status !== 200) {
    tunnel.socket.destroy();
    return { status: tunnel.status, headers: tunnel.headers, body: tunnel.body, peerCert: null };
  }
  const host = options.authority.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const servername = options.servername ?? (/^[\d.]+$|:/.test(host) ? undefined : host);
  const tls: TLSSocket = await new Promise((resolve, reject) => {
    const s = tlsConnect({ socket: tunnel.socket, ca: options.ca, servername, host }, () => resolve(s));
    s.once('error', reject);
  });
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        createConnection: () => tls,
        host,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { host: options.authority.replace(/:443$/, ''), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peerCert: tls.getPeerCertificate() });
          tls.destroy();
        });
        res.on('error', reject);
      },
    );
    req.once('error', reject);
    req.end(options.body);
  });
}
