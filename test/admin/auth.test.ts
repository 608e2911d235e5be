import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminGet, basic } from '../helpers/admin.js';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startOneUpstream, type OneUpstream } from '../proxy/fixtures.js';

/** Pages answered in one piece, behind listen.auth, and what each holds. */
const PAGES: Record<string, string> = {
  '/': '/console.js',
  '/metrics': 'mtls_proxy_requests_total',
  '/console.js': 'EventSource',
  '/api/console': '"rules":[]',
  '/api/probe?target=localhost': 'the console only',
};
/** Every page behind listen.auth: those and the live feed (server-sent events). */
const PROTECTED = [...Object.keys(PAGES), '/api/events'];
const OPEN = ['/ca.crt', '/healthz', '/proxy.pac'];

describe('with listen.auth', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await startTestProxy(`listen:\n  host: 127.0.0.1\n  port: 0\n  auth: { username: me, password: "p:ss word" }\nca:\n  dir: ./ca\n`);
  });
  afterAll(() => proxy?.close());
  const host = (): string => `Host: 127.0.0.1:${proxy.port}`;

  it.each(PROTECTED)('%s answers 401 with a Basic challenge without credentials, with wrong ones, or with them only as Proxy-Authorization', async (path) => {
    for (const extra of [[], ['Authorization: ' + basic('me:wrong')], ['Authorization: Bearer x'], ['Proxy-Authorization: ' + basic('me:p:ss word')]]) {
      const res = await adminGet(proxy.port, path, [host(), ...extra]);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="mtls-proxy"');
      expect(res.body).not.toContain('mtls_proxy_');
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
  });

  it.each(Object.keys(PAGES))('%s answers 200 with the credentials as Authorization', async (path) => {
    const res = await adminGet(proxy.port, path, [host(), `Authorization: ${basic('me:p:ss word')}`]);
    expect(res.status).toBe(200);
    expect(res.body).toContain(PAGES[path]);
  });

  it.each(OPEN)('%s stays open', async (path) => {
    expect((await adminGet(proxy.port, path)).status).toBe(200);
  });

  it('HEAD is answered like GET, without a body; other methods get 405', async () => {
    const head = await adminGet(proxy.port, '/healthz', [host()], 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await adminGet(proxy.port, '/metrics', [host()], 'POST')).status).toBe(405);
  });

  it('an unknown path gets 404, listing the pages the proxy serves', async () => {
    const res = await adminGet(proxy.port, '/nope');
    expect(res.status).toBe(404);
    expect(res.body).toContain('/metrics');
  });
});

describe('without listen.auth', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await startTestProxy('');
  });
  afterAll(() => proxy?.close());

  it.each([...Object.keys(PAGES), ...OPEN])('%s is open', async (path) => {
    expect((await adminGet(proxy.port, path)).status).toBe(200);
  });

  it('the console says what this is and lists every page', async () => {
    const res = await adminGet(proxy.port, '/');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('mtls-proxy');
    const pages = (JSON.parse((await adminGet(proxy.port, '/api/console')).body) as { pages: Array<{ path: string }> }).pages.map((p) => p.path);
    for (const path of ['/', '/ca.crt', '/healthz', '/proxy.pac', '/metrics', '/api/events']) expect(pages).toContain(path);
  });
});

describe('the admin pages are never answered for a proxied request', () => {
  let setup: OneUpstream;
  beforeAll(async () => {
    setup = await startOneUpstream('api.example.com');
  });
  afterAll(() => setup?.close());

  it.each([...PROTECTED, ...OPEN])('%s as an absolute-form http:// request goes to that host', async (path) => {
    const plain = createServer((req, res) => res.end(`upstream saw ${req.url}`));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const { port } = plain.address() as AddressInfo;
    try {
      const res = await adminGet(setup.proxy.port, `http://127.0.0.1:${port}${path}`, [`Host: 127.0.0.1:${port}`]);
      expect(res.body).toBe(`upstream saw ${path}`);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it.each([...PROTECTED, ...OPEN])('%s inside an intercepted CONNECT goes to the upstream', async (path) => {
    const res = await httpsViaProxy({ proxyPort: setup.proxy.port, authority: 'api.example.com:443', path, ca: setup.proxy.proxy.context.ca.certPem });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ url: path });
  });
});
