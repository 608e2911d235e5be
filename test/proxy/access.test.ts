import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectThrough } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';

const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('listen.auth', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await startTestProxy(`listen:\n  host: 127.0.0.1\n  port: 0\n  auth: { username: me, password: "p:ss word" }\nca:\n  dir: ./ca\n`);
  });
  afterAll(() => proxy?.close());

  it('answers a CONNECT without credentials with 407 and a Basic challenge', async () => {
    const res = await connectThrough(proxy.port, '127.0.0.1:9');
    expect(res.status).toBe(407);
    expect(res.headers['proxy-authenticate']).toBe('Basic realm="mtls-proxy"');
  });

  it('answers wrong credentials with 407', async () => {
    const res = await connectThrough(proxy.port, '127.0.0.1:9', { 'proxy-authorization': basic('me:wrong') });
    expect(res.status).toBe(407);
  });

  it('lets the right credentials through (here to a closed port: 502, not 407)', async () => {
    const res = await connectThrough(proxy.port, '127.0.0.1:9', { 'proxy-authorization': basic('me:p:ss word') });
    expect(res.status).toBe(502);
  });

  it('asks for credentials on absolute-form requests too, but not for the proxy\'s own endpoints', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, path: 'http://127.0.0.1:9/', headers: { host: '127.0.0.1:9' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(407);
    expect((await fetch(`http://127.0.0.1:${proxy.port}/healthz`)).status).toBe(200);
  });
});

describe('listen.allow', () => {
  it('answers 403 to a client outside the allowed ranges', async () => {
    const proxy = await startTestProxy(`listen:\n  host: 127.0.0.1\n  port: 0\n  allow: [10.0.0.0/8]\nca:\n  dir: ./ca\n`);
    try {
      const res = await fetch(`http://127.0.0.1:${proxy.port}/healthz`);
      expect(res.status).toBe(403);
    } finally {
      await proxy.close();
    }
  });

  it('serves a client inside them', async () => {
    const proxy = await startTestProxy(`listen:\n  host: 127.0.0.1\n  port: 0\n  allow: [127.0.0.0/8]\nca:\n  dir: ./ca\n`);
    try {
      expect((await fetch(`http://127.0.0.1:${proxy.port}/healthz`)).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });
});
