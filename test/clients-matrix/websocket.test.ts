import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyAgent, WebSocket } from 'undici';
import { startOneUpstream, type OneUpstream } from '../proxy/fixtures.js';
import { acceptWebSockets, type SeenSocket } from './ws-echo.js';

/**
 * undici's WebSocket (the one behind Node 22's global WebSocket) as a user of
 * Node 20 runs it: a ProxyAgent as its dispatcher, trusting the proxy's CA, a
 * wss:// URL with subprotocols. Its own handshake checks (Sec-WebSocket-Accept,
 * a protocol it offered) and frame masking are the client's, not the test's.
 */

let one: OneUpstream;
let sockets: SeenSocket[];

beforeAll(async () => {
  one = await startOneUpstream('api.example.com');
  sockets = acceptWebSockets(one.upstream);
});

afterAll(() => one?.close());

function open(url: string, protocols: string[], ca: string): Promise<{ ws: WebSocket; agent: ProxyAgent }> {
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${one.proxy.port}`, requestTls: { ca } });
  const ws = new WebSocket(url, { protocols, dispatcher: agent });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no open or error within 10 s')), 10_000);
    ws.addEventListener('open', () => (clearTimeout(timer), resolve({ ws, agent })));
    ws.addEventListener('error', (event) => (clearTimeout(timer), reject(new Error(`WebSocket error (${event.type})`))));
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 10 s')), 10_000);
    ws.addEventListener('message', (event) => (clearTimeout(timer), resolve(String(event.data))), { once: true });
  });
}

describe('undici WebSocket over wss through the proxy', () => {
  it('negotiates the subprotocol end to end, and the upstream sees the rule certificate', async () => {
    const { ws, agent } = await open('wss://api.example.com/chat?room=7', ['chat.v1', 'chat.v2'], one.proxy.proxy.context.ca.certPem);
    expect(ws.protocol).toBe('chat.v2');
    const echoed = nextMessage(ws);
    ws.send('hello through the proxy');
    expect(await echoed).toBe(`${one.pki.alice.fingerprint256} hello through the proxy`);
    ws.close(1000);
    await agent.close();

    expect(sockets.at(-1)).toEqual({ url: '/chat?room=7', offered: ['chat.v1', 'chat.v2'], chosen: 'chat.v2', clientCert: one.pki.alice.fingerprint256 });
    const line = await one.proxy.waitForLog('request', (l) => l.path === '/chat');
    expect(line).toMatchObject({ host: 'api.example.com', status: 101, clientCert: one.pki.alice.fingerprint256 });
  });

  it('fails the handshake when the upstream chooses none of the offered subprotocols', async () => {
    const before = sockets.length;
    await expect(open('wss://api.example.com/other', ['chat.v1'], one.proxy.proxy.context.ca.certPem)).rejects.toThrow(/WebSocket error/);
    // The upstream accepted the upgrade with no protocol; a client that offered some must then fail (WHATWG WebSockets, 'establish a WebSocket connection').
    expect(sockets.slice(before)).toEqual([{ url: '/other', offered: ['chat.v1'], chosen: null, clientCert: one.pki.alice.fingerprint256 }]);
  });
});
