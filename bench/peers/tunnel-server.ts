/** Standalone (plain node, built-ins only): the smallest useful CONNECT tunnel. */
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

const { upstreamPort } = JSON.parse(process.argv[2] ?? '{}') as { upstreamPort: number };

const server = createServer((_req, res) => res.writeHead(405).end());
server.on('connect', (_req, client: Socket, head: Buffer) => {
  const upstream = connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true }, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  client.setNoDelay(true);
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});
