import net from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { offeredAlpn } from '../../src/proxy/client-hello.js';

/** The first bytes a real Node TLS client sends, offering `alpn`. */
async function clientHello(alpn: string[] | undefined): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bytes = new Promise<Buffer>((resolve) =>
    server.once('connection', (socket) =>
      socket.once('data', (chunk: Buffer) => {
        resolve(chunk);
        socket.destroy();
      }),
    ),
  );
  const client = tlsConnect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', servername: 'api.example.com', ...(alpn ? { ALPNProtocols: alpn } : {}) });
  client.on('error', () => {});
  const hello = await bytes;
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  return hello;
}

describe('offeredAlpn', () => {
  it('reads the protocols a ClientHello offers, in its order', async () => {
    expect(offeredAlpn(await clientHello(['h2', 'http/1.1']))).toEqual(['h2', 'http/1.1']);
    expect(offeredAlpn(await clientHello(['http/1.1']))).toEqual(['http/1.1']);
  });

  it('finds none in a hello without ALPN, in a cut hello, or in what is not a ClientHello', async () => {
    expect(offeredAlpn(await clientHello(undefined))).toEqual([]);
    expect(offeredAlpn((await clientHello(['h2'])).subarray(0, 120))).toEqual([]);
    expect(offeredAlpn(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toEqual([]);
  });
});
