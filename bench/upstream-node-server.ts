/**
 * Standalone (run by plain node after transpiling; built-ins only): an HTTPS
 * server, h2 and HTTP/1.1 by ALPN, that requires a client certificate and
 * serves what nginx serves.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';

interface Args {
  cert: string;
  key: string;
  clientCa: string;
  filesDir: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;

const server = createSecureServer(
  {
    cert: readFileSync(args.cert),
    key: readFileSync(args.key),
    ca: readFileSync(args.clientCa),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
    allowHTTP1: true,
  },
  (req, res) => {
    const url = req.url ?? '/';
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' }).end('ok\n');
    } else if (url === '/whoami') {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`SUCCESS CN=${peer.subject?.CN ?? ''}\n`);
    } else if (url === '/protocol') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`HTTP/${req.httpVersion}\n`);
    } else if (url.startsWith('/files/')) {
      const file = path.join(args.filesDir, path.basename(url));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(statSync(file).size) });
      createReadStream(file).pipe(res);
    } else {
      res.writeHead(404).end();
    }
  },
);

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});
