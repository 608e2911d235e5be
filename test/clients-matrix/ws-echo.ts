import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { TestUpstream } from '../helpers/upstream.js';

/** One WebSocket the upstream accepted: its path, the subprotocols offered and chosen, the client certificate. */
export interface SeenSocket {
  url: string;
  offered: string[];
  chosen: string | null;
  clientCert: string | null;
}

/**
 * Makes a test upstream (an HTTPS server requiring client certificates) a
 * WebSocket echo server too: it picks `chat.v2` when offered, and sends every
 * message back prefixed with the fingerprint of the client certificate it got.
 */
export function acceptWebSockets(upstream: TestUpstream): SeenSocket[] {
  const seen: SeenSocket[] = [];
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false),
  });
  upstream.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const clientCert = (req.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? null;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
      seen.push({ url: req.url ?? '', offered, chosen: ws.protocol || null, clientCert });
      ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `${clientCert ?? 'none'} ${(data as Buffer).toString('utf8')}`));
    });
  });
  upstream.server.once('close', () => wss.close());
  return seen;
}
