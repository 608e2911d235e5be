/** The demo's upstream: an HTTPS server on loopback that requires a client certificate and answers with what it saw. */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { oneLineName } from '../certs/summary.js';

/** The client certificate as the upstream received it. */
export interface SeenCertificate {
  readonly subject: string;
  readonly fingerprint256: string;
}

export interface DemoUpstream {
  readonly port: number;
  close(): Promise<void>;
}

export async function startDemoUpstream(tls: { certPem: string; keyPem: string; clientCaPem: string }): Promise<DemoUpstream> {
  const server = createServer(
    // rejectUnauthorized: a handshake without a certificate from the demo CA never reaches the handler.
    { cert: tls.certPem, key: tls.keyPem, ca: tls.clientCaPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = new X509Certificate((req.socket as TLSSocket).getPeerCertificate().raw);
      const seen: SeenCertificate = { subject: oneLineName(peer.subject), fingerprint256: peer.fingerprint256 };
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ clientCertificate: seen }));
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
