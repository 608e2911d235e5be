/** The console without a browser: its headers, what it leaks (nothing), its live feed's stream. */
import { get, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expiryState } from '../../src/admin/console-state.js';
import { rebuildContext } from '../../src/reload/rebuild.js';
import { adminGet, basic } from '../helpers/admin.js';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startOneUpstream, type OneUpstream } from '../proxy/fixtures.js';

const CREDENTIALS = 'me:console pass';

let setup: OneUpstream;
beforeAll(async () => {
  setup = await startOneUpstream('api.example.com', `listen:\n  host: 127.0.0.1\n  port: 0\n  auth: { username: me, password: "console pass" }\nca:\n  dir: ./ca\n`);
});
afterAll(() => setup?.close());

const authorized = (): string[] => [`Host: 127.0.0.1:${setup.proxy.port}`, `Authorization: ${basic(CREDENTIALS)}`];

/** A request through the proxy (with its Proxy-Authorization), lent alice's certificate. */
async function throughProxy(path: string): Promise<void> {
  const res = await httpsViaProxy({
    proxyPort: setup.proxy.port,
    authority: 'api.example.com:443',
    ca: setup.proxy.proxy.context.ca.certPem,
    path,
    connectHeaders: { 'proxy-authorization': basic(CREDENTIALS) },
  });
  expect(res.status).toBe(200);
}

/** Opens /api/events and collects its `data:` events until `until` holds for one. */
function readEvents(headers: Record<string, string>, until: (event: Record<string, unknown>) => boolean): Promise<{ res: IncomingMessage; events: Array<Record<string, unknown>> }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port: setup.proxy.port, path: '/api/events', headers }, (res) => {
      const events: Array<Record<string, unknown>> = [];
      let buffered = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const blocks = buffered.split('\n\n');
        buffered = blocks.pop()!;
        for (const block of blocks) {
          if (!block.startsWith('data: ')) continue;
          const event = JSON.parse(block.slice(6)) as Record<string, unknown>;
          events.push(event);
          if (until(event)) {
            res.destroy();
            resolve({ res, events });
          }
        }
      });
      res.once('end', () => resolve({ res, events }));
    });
    req.once('error', reject);
  });
}

describe('the console', () => {
  it('is served with a CSP that allows no inline script, nosniff, and no inline script in the page', async () => {
    const res = await adminGet(setup.proxy.port, '/', authorized());
    expect(res.status).toBe(200);
    const csp = res.headers['content-security-policy']!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(res.body).not.toMatch(/\son[a-z]+=|style=/);
    // Nothing loaded from elsewhere: the page works offline.
    expect(res.body).not.toMatch(/(?:src|href)="(?!\/)/);
    for (const path of ['/console.js', '/console.css', '/favicon.svg']) {
      const file = await adminGet(setup.proxy.port, path, authorized());
      expect(file.status, path).toBe(200);
      expect(file.headers['x-content-type-options'], path).toBe('nosniff');
      // The icon's xmlns names a namespace; the script and style sheet load nothing from elsewhere.
      if (!path.endsWith('.svg')) expect(file.body, path).not.toMatch(/['"`(]https?:\/\//);
    }
  });

  it.each(['/', '/api/console', '/api/events', '/api/probe?target=api.example.com', '/console.js'])(
    '%s answers 401 without credentials and shows nothing of the config or the traffic',
    async (path) => {
      await throughProxy('/before-401');
      const res = await adminGet(setup.proxy.port, path, [`Host: 127.0.0.1:${setup.proxy.port}`]);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="mtls-proxy"');
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.body).toBe('Authentication required: this page takes the proxy credentials (listen.auth).\n');
    },
  );

  it('/api/console lists the rule with its public facts and no secret', async () => {
    const res = await adminGet(setup.proxy.port, '/api/console', authorized());
    const state = JSON.parse(res.body) as { rules: Array<Record<string, unknown>>; worker: unknown };
    // One process: the feed is the whole proxy's.
    expect(state.worker).toBeNull();
    expect(state.rules).toEqual([
      expect.objectContaining({ index: 0, host: 'api.example.com', ports: '443', subject: 'CN=alice', fingerprint256: setup.pki.alice.fingerprint256, expiry: 'ok' }),
    ]);
    expect(res.body).not.toContain('PRIVATE KEY');
    expect(res.body).not.toContain(setup.pki.dir);
    expect(res.body).not.toContain('console pass');
  });

  it('/api/probe runs only for the console, which sends a header no cross-site request can', async () => {
    const path = '/api/probe?target=api.example.com';
    const before = setup.upstream.seen.length;
    const bare = JSON.parse((await adminGet(setup.proxy.port, path, authorized())).body) as { ok: boolean; lines: string[] };
    expect(bare).toEqual({ ok: false, lines: ['The probe answers the console only: send the header X-Mtls-Proxy-Console: 1.'] });
    expect(setup.upstream.seen.length).toBe(before);
    const probed = JSON.parse((await adminGet(setup.proxy.port, path, [...authorized(), 'X-Mtls-Proxy-Console: 1'])).body) as { ok: boolean; lines: string[] };
    expect(probed.ok).toBe(true);
    expect(probed.lines).toContain('result: OK');
  });

  it('/api/events sends the recent requests and upstream TLS connections, with the certificate presented and no query string', async () => {
    await throughProxy('/feed/one?token=never-shown');
    const { res, events } = await readEvents({ authorization: basic(CREDENTIALS) }, (e) => e.path === '/feed/one');
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(events.find((e) => e.path === '/feed/one')).toMatchObject({
      kind: 'request',
      method: 'GET',
      host: 'api.example.com',
      port: 443,
      status: 200,
      rule: 'api.example.com',
      clientCert: setup.pki.alice.fingerprint256,
    });
    expect(events.find((e) => e.kind === 'upstream tls')).toMatchObject({
      host: 'api.example.com',
      clientCert: setup.pki.alice.fingerprint256,
      authorized: true,
      protocol: 'http/1.1',
      tlsVersion: 'TLSv1.3',
    });
    expect(JSON.stringify(events)).not.toContain('never-shown');
  });

  it('/api/events follows new requests live', async () => {
    const reading = readEvents({ authorization: basic(CREDENTIALS) }, (e) => e.path === '/feed/live');
    await throughProxy('/feed/live');
    const { events } = await reading;
    expect(events.at(-1)).toMatchObject({ kind: 'request', path: '/feed/live', clientCert: setup.pki.alice.fingerprint256 });
  });

  it('shows the Proxy-Status of a failed request', async () => {
    await setup.upstream.close();
    const res = await httpsViaProxy({
      proxyPort: setup.proxy.port,
      authority: 'api.example.com:443',
      ca: setup.proxy.proxy.context.ca.certPem,
      path: '/feed/down',
      connectHeaders: { 'proxy-authorization': basic(CREDENTIALS) },
    });
    expect(res.status).toBe(502);
    const { events } = await readEvents({ authorization: basic(CREDENTIALS) }, (e) => e.path === '/feed/down');
    expect(events.find((e) => e.path === '/feed/down')).toMatchObject({ status: 502, proxyStatus: res.headers['proxy-status'] });
  });

  it('/api/events ends a stream whose reader stopped reading rather than queue events without bound', async () => {
    const { feed } = setup.proxy.proxy.context;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      get({ host: '127.0.0.1', port: setup.proxy.port, path: '/api/events', headers: { authorization: basic(CREDENTIALS) } }, resolve).once('error', reject);
    });
    res.pause();
    const event = { kind: 'request', time: Date.now(), id: 'x', method: 'GET', host: 'h', port: 443, path: `/${'p'.repeat(10_000)}`, status: 200, durationMs: 1, rule: null, clientCert: null } as const;
    // 40 MB offered, far beyond what the loopback socket buffers and the 1 MiB bound hold.
    for (let batch = 0; batch < 40; batch++) {
      for (let i = 0; i < 100; i++) feed.push(event);
      await new Promise((resolve) => setImmediate(resolve));
    }
    let received = 0;
    res.on('data', (chunk: Buffer) => (received += chunk.length));
    res.resume();
    await new Promise((resolve) => res.once('close', resolve));
    expect(received).toBeLessThan(20_000_000);
  });

  it('keeps its feed across a reload, as the metrics', async () => {
    const before = setup.proxy.proxy.context;
    const next = await rebuildContext(before, before.config);
    expect(next.feed).toBe(before.feed);
    expect(next.feed.recent().length).toBeGreaterThan(0);
  });
});

describe('expiryState', () => {
  it('marks expired certificates and those within warnExpiryDays', () => {
    expect(expiryState(-1, 30)).toBe('expired');
    expect(expiryState(0, 30)).toBe('expiring');
    expect(expiryState(29, 30)).toBe('expiring');
    expect(expiryState(30, 30)).toBe('ok');
  });
});
