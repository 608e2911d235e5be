import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSelf } from '../../src/proxy/self-target.js';
import { startCountingUpstream, type CountingUpstream } from '../helpers/counting-upstream.js';
import { connectThrough, readRawResponse, type RawResponse } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { closedPort } from '../helpers/upstream.js';

/** A CONNECT or absolute-form request to the proxy's own address never goes through the proxy to itself. */

let proxy: TestProxy;
let plain: CountingUpstream;

beforeAll(async () => {
  plain = await startCountingUpstream();
  // The proxy's port is known only once it listens: take a free one and name it in resolve.
  const port = await closedPort();
  proxy = await startTestProxy(`listen:
  host: 127.0.0.1
  port: ${port}
ca:
  dir: ./ca
upstream:
  resolve:
    "me.test:443": "127.0.0.1:${port}"
    "me.test:80": "127.0.0.1:${port}"
    also-me.test: 127.0.0.1
    "plain.example.net:80": "127.0.0.1:${plain.port}"
intercept: all
`);
});

afterAll(async () => {
  await proxy?.close();
  await plain?.close();
});

/** PORT stands for the proxy's port, known once it listens. */
const withPort = (text: string): string => text.replace('PORT', String(proxy.port));

/** Every spelling of the proxy's own address, or a name mapped to it. */
const selfAuthorities = [
  '127.0.0.1:PORT',
  'localhost:PORT',
  'LOCALHOST.:PORT',
  'sub.localhost:PORT',
  '127.1:PORT',
  '0x7f.0.0.1:PORT',
  '0.0.0.0:PORT',
  '[::ffff:127.0.0.1]:PORT',
  'me.test:443',
  'also-me.test:PORT',
];

describe('a CONNECT to the proxy itself', () => {
  it.each(selfAuthorities)('%s is refused with 403 proxy_loop_detected', async (authority) => {
    const res = await connectThrough(proxy.port, withPort(authority));
    expect(res.status).toBe(403);
    expect(res.headers['proxy-status']).toBe('mtls-proxy; error=proxy_loop_detected');
    expect(res.body).toContain('loop');
    // The control: a CONNECT elsewhere still tunnels.
    const control = await connectThrough(proxy.port, 'plain.example.net:80');
    expect(control.status).toBe(200);
    control.socket.destroy();
  });

  it('to another port of the same address is not refused as a loop', async () => {
    const res = await connectThrough(proxy.port, `127.0.0.1:${plain.port}`);
    expect(res.status).toBe(200);
    res.socket.destroy();
  });
});

function absolute(target: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, '127.0.0.1', () => {
      readRawResponse(socket).then(resolve, reject).finally(() => socket.destroy());
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${new URL(target).host}\r\n\r\n`);
    });
    socket.once('error', reject);
  });
}

describe('an absolute-form request to the proxy itself', () => {
  it.each([
    'http://127.0.0.1:PORT/healthz',
    'http://localhost:PORT/healthz',
    'http://[::ffff:7f00:1]:PORT/healthz',
    'http://me.test/healthz',
    'https://me.test/healthz',
  ])('%s is answered by the proxy itself, not forwarded to it', async (target) => {
    const res = await absolute(withPort(target));
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('{"status":"ok"}');
    // The control is forwarded and logged; nothing else was, so no request line names the proxy's port.
    const control = await absolute('http://plain.example.net/control');
    expect(control.status).toBe(200);
    await proxy.waitForLog('request', (l) => l.host === 'plain.example.net');
    expect(proxy.logs('request').filter((l) => l.port === proxy.port || l.host === 'me.test')).toEqual([]);
  });
});

describe('isSelf', () => {
  const interfaces = (): string[] => ['127.0.0.1', '::1', '192.168.1.20', 'fe80::1'];
  const on = (address: string, port = 8080) => ({ address, port });

  it.each([
    ['a loopback listener', on('127.0.0.1'), on('127.0.0.1'), true],
    ['a loopback listener', on('127.0.0.1'), on('localhost'), true],
    ['a loopback listener', on('127.0.0.1'), on('0.0.0.0'), true],
    ['a loopback listener', on('127.0.0.1'), on('::ffff:7f00:1'), true],
    ['a loopback listener', on('127.0.0.1'), on('127.0.0.1', 8081), false],
    ['a loopback listener', on('127.0.0.1'), on('127.0.0.2'), false],
    ['a loopback listener', on('127.0.0.1'), on('192.168.1.20'), false],
    ['an IPv6 loopback listener', on('::1'), on('localhost'), true],
    ['an IPv6 loopback listener', on('::1'), on('::1'), true],
    ['a listener on every IPv4 address', on('0.0.0.0'), on('192.168.1.20'), true],
    ['a listener on every IPv4 address', on('0.0.0.0'), on('127.0.0.5'), true],
    ['a listener on every address', on('::'), on('fe80::1'), true],
    ['a listener on every address', on('::'), on('::ffff:192.168.1.20'), true],
    ['a listener on every address', on('::'), on('10.9.9.9'), false],
    ['a listener on every address', on('::'), on('example.com'), false],
    ['a listener on one interface', on('192.168.1.20'), on('192.168.1.20'), true],
    ['a listener on one interface', on('192.168.1.20'), on('127.0.0.1'), false],
  ] as const)('for %s at %o, %o is self: %s', (_what, listening, target, expected) => {
    expect(isSelf(target, listening, interfaces)).toBe(expected);
  });
});
