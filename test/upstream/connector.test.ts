import net from 'node:net';
import { createSecureContext } from 'node:tls';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnector, type Connector } from '../../src/upstream/connector.js';
import type { UpstreamRoute } from '../../src/upstream/route.js';
import { VerificationBackoff } from '../../src/upstream/verification.js';
import { metricsWithoutRules } from '../helpers/metrics.js';
import { closedPort } from '../helpers/upstream.js';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/**
 * A TCP server that reads what it is sent and never answers, so no TLS handshake can
 * finish; or, with `hangUp`, closes the connection once the first bytes are in.
 */
async function silentServer(options: { hangUp?: boolean } = {}): Promise<{ port: number; firstBytes: Promise<Buffer> }> {
  let onBytes: (bytes: Buffer) => void = () => {};
  const firstBytes = new Promise<Buffer>((resolve) => (onBytes = resolve));
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.once('data', (bytes) => {
      onBytes(bytes);
      if (options.hangUp) socket.destroy();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, firstBytes };
}

function connectorTo(port: number): Connector {
  const route: UpstreamRoute = {
    host: 'api.example.com',
    port: 443,
    tcp: { address: '127.0.0.1', port, via: null },
    tls: true,
    rule: null,
    verify: true,
    credentials: null,
    key: 'test',
  };
  return createConnector({
    route,
    secureContext: createSecureContext({}),
    connectTimeoutMs: 5000,
    handshakeTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    trust: 'system roots',
    backoff: new VerificationBackoff(),
    logger: pino({ enabled: false }),
    metrics: metricsWithoutRules(),
  });
}

describe('Connector.warm', () => {
  it('reports the dial started once its ClientHello is sent, without waiting for the server', async () => {
    const { port, firstBytes } = await silentServer();
    const connector = connectorTo(port);
    let calls = 0;
    await new Promise<void>((resolve) =>
      connector.warm(() => {
        calls += 1;
        resolve();
      }),
    );
    const hello = await firstBytes;
    expect(hello[0]).toBe(0x16);
    expect(hello.includes(Buffer.from('api.example.com'))).toBe(true);

    // A spare is already on its way: nothing new is dialled and the caller goes on at once.
    let again = 0;
    connector.warm(() => (again += 1));
    expect(again).toBe(1);
    expect(calls).toBe(1);
  });

  it('reports a dial that fails before sending anything, so that waiting work still runs', async () => {
    const connector = connectorTo(await closedPort());
    await new Promise<void>((resolve) => connector.warm(resolve));
  });

  it('reports once when the handshake fails after the ClientHello went out', async () => {
    const { port, firstBytes } = await silentServer({ hangUp: true });
    const connector = connectorTo(port);
    let calls = 0;
    connector.warm(() => (calls += 1));
    await firstBytes;
    // Let the hang-up arrive: the failure that follows must not report a second time.
    await new Promise<void>((resolve) => setTimeout(resolve, 100));
    expect(calls).toBe(1);
  });
});
