/** A CONNECT tunnel through a proxy, on a raw socket, for the jobs that do their own TLS. */
import { connect as netConnect, type Socket } from 'node:net';

/** Sends CONNECT and resolves once the proxy answered 200 (the socket then carries the tunnel). */
export function connectTunnel(proxyPort: number, authority: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port: proxyPort });
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      if (status !== '200') {
        socket.destroy();
        reject(new Error(`CONNECT answered ${status ?? head.slice(0, 40)}`));
        return;
      }
      socket.pause();
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}
