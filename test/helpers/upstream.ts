import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** SHA-256 fingerprint of the client certificate presented, or null. */
  clientCert: string | null;
  clientSubjectCN: string | null;
  servername: string | null;
}

export interface TestUpstream {
  readonly port: number;
  readonly url: string;
  readonly server: Server;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export interface UpstreamOptions {
  certPem: string;
  keyPem: string;
  /** CAs whose client certificates are accepted; omit to request but not require one. */
  clientCa?: string | string[];
  requireClientCert?: boolean;
  handler?: (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void;
  host?: string;
}

/**
 * A real HTTPS server on loopback port 0 that asks for a client certificate and
 * answers with JSON naming the one it got.
 */
export async function startUpstream(options: UpstreamOptions): Promise<TestUpstream> {
  const seen: SeenRequest[] = [];
  const server = createHttpsServer(
    {
      cert: options.certPem,
      key: options.keyPem,
      ...(options.clientCa ? { ca: options.clientCa } : {}),
      requestCert: true,
      rejectUnauthorized: options.requireClientCert ?? Boolean(options.clientCa),
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerX509Certificate();
      const entry: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        clientCert: peer?.fingerprint256 ?? null,
        clientSubjectCN: peer ? (/CN=([^\n]*)/.exec(peer.subject)?.[1] ?? null) : null,
        servername: (socket as TLSSocket & { servername?: string | false }).servername || null,
      };
      seen.push(entry);
      if (options.handler) return options.handler(req, res, entry);
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify(entry);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    },
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on: bound to check it is free, then released. */
export async function closedPort(): Promise<number> {
  // Below the range the kernel hands out for port 0, so that no server a test starts
  // later (the proxy under test above all) can be given this port.
  const [low = 32768] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 1024 + Math.floor(Math.random() * (low - 1024));
    const spare = createNetServer();
    const free = await new Promise<boolean>((resolve) => {
      spare.once('error', () => resolve(false));
      spare.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!free) continue;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    return port;
  }
  throw new Error('no free port below the ephemeral range');
}
