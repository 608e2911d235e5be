import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An upstream that counts everything reaching it: TCP (or TLS) connections, the
 * bytes read on them (decrypted, for TLS), complete requests and parse errors. A
 * test that expects nothing forwarded asserts all of them stay put.
 */
export interface CountingUpstream {
  readonly port: number;
  readonly counts: { connections: number; bytes: number; requests: number; clientErrors: number };
  /** Method, path and body length of each complete request. */
  readonly requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; bodyLength: number }>;
  close(): Promise<void>;
}

export interface CountingOptions {
  /** Serve TLS with this certificate; plain HTTP without. */
  tls?: { certPem: string; keyPem: string };
  /** Answer a request yourself (after it is counted); default: 200 "ok" once the body is read. */
  handler?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export async function startCountingUpstream(options: CountingOptions = {}): Promise<CountingUpstream> {
  const counts = { connections: 0, bytes: 0, requests: 0, clientErrors: 0 };
  const requests: CountingUpstream['requests'] = [];
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    counts.requests++;
    if (options.handler?.(req, res)) return;
    let bodyLength = 0;
    req.on('data', (chunk: Buffer) => (bodyLength += chunk.length));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyLength });
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, onRequest)
    : createHttpServer(onRequest);
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    counts.connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => (counts.bytes += chunk.length));
  });
  // A TLS connection closed before it sent a byte (one the proxy dialled ahead and
  // left unused) is an error to Node's TLS server, which reports it in the same
  // turn as its close; it carried nothing, so it is no parse error here.
  let closedSilent = false;
  if (options.tls) {
    server.on('connection', (socket: Socket) =>
      socket.once('close', () => {
        closedSilent = socket.bytesRead === 0;
        queueMicrotask(() => (closedSilent = false));
      }),
    );
  }
  server.on('clientError', (_err, socket: Socket) => {
    if (!closedSilent) counts.clientErrors++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    counts,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
