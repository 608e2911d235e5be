import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readRawResponse } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';

/** limits.maxConnections: client connections beyond it get 503. */

const proxies: TestProxy[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function proxyWithTwoSlots(): Promise<TestProxy> {
  const proxy = await startTestProxy('limits:\n  maxConnections: 2\n');
  proxies.push(proxy);
  return proxy;
}

function dial(proxy: TestProxy): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, '127.0.0.1', () => resolve(socket));
    sockets.push(socket);
    socket.once('error', reject);
  });
}

async function healthz(socket: Socket): Promise<{ status: number; body: string }> {
  const response = readRawResponse(socket);
  socket.write('GET /healthz HTTP/1.1\r\nHost: proxy\r\n\r\n');
  const res = await response;
  return { status: res.status, body: res.body.toString() };
}

/** A new keep-alive connection, once the proxy has answered a request on it (so it surely counts). */
async function openConnection(proxy: TestProxy): Promise<{ socket: Socket; status: number; body: string }> {
  const socket = await dial(proxy);
  return { socket, ...(await healthz(socket)) };
}

/**
 * The proxy frees a slot when it sees the client's close, which may come just
 * after the client's next connection: new connections are tried until one is
 * served, a bounded number of times.
 */
async function untilServed(proxy: TestProxy): Promise<number> {
  for (let attempt = 1; attempt <= 50; attempt++) {
    const { socket, status } = await openConnection(proxy);
    if (status !== 503) return status;
    socket.destroy();
  }
  return 503;
}

describe('limits.maxConnections: 2', () => {
  it('answers 503 to a third concurrent client, and serves again once one leaves', async () => {
    const proxy = await proxyWithTwoSlots();
    const first = await openConnection(proxy);
    const second = await openConnection(proxy);
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await openConnection(proxy);
    expect(third.status).toBe(503);
    expect(third.body).toContain('limits.maxConnections');

    // The two held connections still work.
    expect((await healthz(first.socket)).status).toBe(200);

    second.socket.destroy();
    expect(await untilServed(proxy)).toBe(200);
  });

  it('closes the connection it refused once that client has gone, so it can shut down', async () => {
    const proxy = await proxyWithTwoSlots();
    await openConnection(proxy);
    await openConnection(proxy);
    const refused = await openConnection(proxy);
    expect(refused.status).toBe(503);
    for (const socket of sockets.splice(0)) socket.destroy();
    // Closing waits for every open connection, the refused one included.
    await proxies.splice(0)[0]!.close();
  });

  it('frees the slot of a CONNECT it answered 400', async () => {
    const proxy = await proxyWithTwoSlots();
    for (let i = 0; i < 2; i++) {
      const socket = await dial(proxy);
      const response = readRawResponse(socket, { untilClose: true });
      socket.write('CONNECT no-port.example.com HTTP/1.1\r\nHost: no-port.example.com\r\n\r\n');
      expect((await response).status).toBe(400);
    }
    expect(await untilServed(proxy)).toBe(200);
  });
});
