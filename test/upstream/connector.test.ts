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
 * finish. `firstBytes(n)` is what the n-th connection accepted (from 0) sent first.
 */
async function silentServer(): Promise<{ port: number; firstBytes: (n: number) => Promise<Buffer> }> {
  const received = new Map<number, { bytes: Promise<Buffer>; resolve: (bytes: Buffer) => void }>();
  const entry = (n: number) => {
    let found = received.get(n);
    if (!found) {
      let resolve: (bytes: Buffer) => void = () => {};
      const bytes = new Promise<Buffer>((r) => (resolve = r));
      found = { bytes, resolve };
      received.set(n, found);
    }
    return found;
  };
  let accepted = 0;
  const server = net.createServer((socket) => {
    sockets.push(socket);
    const n = accepted++;
    socket.once('data', (bytes: Buffer) => entry(n).resolve(bytes));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, firstBytes: (n) => entry(n).bytes };
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
  it('sends the ClientHello of one spare at once, and dials no second while it is on its way', async () => {
    const { port, firstBytes } = await silentServer();
    const connector = connectorTo(port);
    connector.warm();
    connector.warm();
    const hello = await firstBytes(0);
    expect(hello[0]).toBe(0x16);
    expect(hello.includes(Buffer.from('api.example.com'))).toBe(true);
    // Connections are accepted in the order dialled: a second spare would come before this one.
    const probe = net.connect(port, '127.0.0.1', () => probe.write('probe'));
    sockets.push(probe);
    expect((await firstBytes(1)).toString()).toBe('probe');
  });

  it('drops a spare that could not be dialled: the next connection dials anew and gets its own error', async () => {
    const connector = connectorTo(await closedPort());
    connector.warm();
    await expect(connector.open()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
