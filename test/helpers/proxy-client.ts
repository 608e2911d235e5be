import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
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

export interface TlsViaProxyOptions {
  proxyPort: number;
  /** host:port for the CONNECT. */
  authority: string;
  /** The CA the client trusts (the proxy's, or the real server's for tunnels). */
  ca: string | string[];
  servername?: string;
  /** Sent with the CONNECT, such as Proxy-Authorization. */
  connectHeaders?: Record<string, string>;
  /** ALPN protocols to offer, e.g. ['h2']; none by default. */
  alpn?: string[];
}

function hostOf(authority: string): string {
  return authority.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}

/** TLS over an established tunnel, as the client would open it to `authority`. */
function tlsOver(socket: Socket, options: TlsViaProxyOptions): Promise<TLSSocket> {
  const host = hostOf(options.authority);
  const servername = options.servername ?? (/^[\d.]+$|:/.test(host) ? undefined : host);
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ socket, ca: options.ca, servername, host, ...(options.alpn ? { ALPNProtocols: options.alpn } : {}) }, () => resolve(s));
    s.once('error', reject);
  });
}

/** A TLS connection to `authority` over a CONNECT tunnel; rejects when the CONNECT is refused. */
export async function tlsViaProxy(options: TlsViaProxyOptions): Promise<TLSSocket> {
  const tunnel = await connectThrough(options.proxyPort, options.authority, options.connectHeaders);
  if (tunnel.status !== 200) {
    tunnel.socket.destroy();
    throw new Error(`CONNECT ${options.authority} answered ${tunnel.status}: ${tunnel.body}`);
  }
  return tlsOver(tunnel.socket, options);
}

export interface HttpsViaProxyOptions extends TlsViaProxyOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

function httpsOver(tls: TLSSocket, options: Omit<HttpsViaProxyOptions, 'body'>): ClientRequest {
  return httpsRequest({
    createConnection: () => tls,
    host: hostOf(options.authority),
    method: options.method ?? 'GET',
    path: options.path ?? '/',
    headers: { host: options.authority.replace(/:443$/, ''), ...options.headers },
  });
}

/**
 * An https request over a fresh tunnel, not yet ended: the caller writes the
 * body (streaming it if it likes), ends it and reads the response.
 */
export async function requestViaProxy(options: Omit<HttpsViaProxyOptions, 'body'>): Promise<{ req: ClientRequest; tls: TLSSocket }> {
  const tls = await tlsViaProxy(options);
  return { req: httpsOver(tls, options), tls };
}

/** Resolves with the response once the request has one. */
export function responseOf(req: ClientRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
}

/** Node's https over a CONNECT tunnel, as a proxy-aware client does it. */
export async function httpsViaProxy(options: HttpsViaProxyOptions): Promise<ProxyResponse> {
  const tunnel = await connectThrough(options.proxyPort, options.authority, options.connectHeaders);
  if (tunnel.status !== 200) {
    tunnel.socket.destroy();
    return { status: tunnel.status, headers: tunnel.headers, body: tunnel.body, peerCert: null };
  }
  const tls = await tlsOver(tunnel.socket, options);
  const req = httpsOver(tls, options);
  const response = responseOf(req);
  req.end(options.body);
  const res = await response;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const peerCert = tls.getPeerCertificate();
  tls.destroy();
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peerCert };
}

export interface RawResponse {
  status: number;
  /** Lower-cased names; a repeated name keeps its last value. */
  headers: Record<string, string>;
  head: string;
  body: Buffer;
  /** Bytes that came after this response (an upgraded protocol's first bytes). */
  rest: Buffer;
}

/**
 * Reads one HTTP/1.1 response from a raw stream: its header section, then a
 * Content-Length body, or (with `untilClose`) everything until the peer closes.
 * Rejects if the stream closes first.
 */
export function readRawResponse(stream: Duplex, options: { untilClose?: boolean; noBody?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    const parse = (closed: boolean): RawResponse | null => {
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return null;
      const head = buffered.subarray(0, end).toString('latin1');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      const after = buffered.subarray(end + 4);
      if (options.untilClose) return closed ? { status, headers, head, body: after, rest: Buffer.alloc(0) } : null;
      const length = options.noBody ? 0 : Number(headers['content-length'] ?? 0);
      if (after.length < length) return null;
      return { status, headers, head, body: after.subarray(0, length), rest: after.subarray(length) };
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const done = parse(false);
      if (done) {
        cleanup();
        resolve(done);
      }
    };
    const onClose = (): void => {
      cleanup();
      const done = parse(true);
      if (done) resolve(done);
      else reject(new Error(`the connection closed before a whole response: ${JSON.stringify(buffered.toString('latin1').slice(0, 200))}`));
    };
    const onError = (err: Error): void => {
      if (!options.untilClose) {
        cleanup();
        reject(err);
      }
    };
    stream.on('data', onData);
    stream.once('close', onClose);
    stream.on('error', onError);
  });
}
