import { rmSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startUpstream, type SeenRequest, type TestUpstream } from '../helpers/upstream.js';
import { startOneUpstream, type OneUpstream } from '../proxy/fixtures.js';
import { launchChromium, nssHome } from './chromium.js';
import { acceptWebSockets, type SeenSocket } from './ws-echo.js';

/**
 * Debian's headless Chromium, driven by playwright-core, trusting the proxy's
 * CA the way its users do: through the NSS database in the home folder.
 */

let one: OneUpstream;
let sockets: SeenSocket[];
/** An HTTPS server the PAC file sends DIRECT: no rule names it. */
let direct: TestUpstream;
const homes: string[] = [];

beforeAll(async () => {
  // Chromium calls Google on its own (accounts, component updates) whatever the
  // flags: the proxy sends every host but the rule's to a closed loopback port,
  // so none of it is ever looked up or leaves the machine.
  one = await startOneUpstream('api.example.com', `  proxy: http://127.0.0.1:${await closedPort()}\n  noProxy: [api.example.com]\n`);
  sockets = acceptWebSockets(one.upstream);
  direct = await startUpstream({ certPem: one.pki.server.certPem, keyPem: one.pki.server.keyPem });
});

afterAll(async () => {
  await one?.close();
  await direct?.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

async function home(trust: 'proxy CA' | 'proxy and server CAs' | 'nothing'): Promise<string> {
  const files: Record<string, string> = {};
  if (trust !== 'nothing') files['mtls-proxy'] = one.proxy.proxy.context.ca.certPath;
  if (trust === 'proxy and server CAs') files['test-server-ca'] = one.pki.files['server-ca.pem']!;
  const dir = await nssHome(files);
  homes.push(dir);
  return dir;
}

/** Navigates and returns what the upstream reported (it answers with JSON of what it saw) and who issued the page's certificate. */
async function visit(page: Page, url: string): Promise<{ seen: SeenRequest; issuer: string | undefined }> {
  const response = await page.goto(url, { timeout: 20_000 });
  expect(response?.status()).toBe(200);
  return { seen: (await response!.json()) as SeenRequest, issuer: (await response!.securityDetails())?.issuer };
}

/** The proxy CA's common name, as the browser shows it (X509Certificate.subject escapes commas). */
function proxyCaName(): string | undefined {
  return /CN=([^\n]*)/.exec(one.proxy.proxy.context.ca.cert.subject)?.[1]?.replace(/\\(.)/g, '$1');
}

function proxySawHost(host: string): boolean {
  return one.proxy.lines.some((line) => line.host === host);
}

describe('Chromium with --proxy-server', () => {
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium(await home('proxy CA'), [`--proxy-server=http://127.0.0.1:${one.proxy.port}`]);
    page = await browser.newPage();
  }, 60_000);

  afterAll(() => browser?.close());

  it("loads an mTLS site with the rule's certificate, trusting the proxy's leaf through NSS", async () => {
    const { seen, issuer } = await visit(page, 'https://api.example.com/chromium/proxy-server?x=1');
    expect(seen).toMatchObject({ url: '/chromium/proxy-server?x=1', clientCert: one.pki.alice.fingerprint256, servername: 'api.example.com' });
    expect(seen.headers['user-agent']).toMatch(/HeadlessChrome|Chrome\//);
    expect(issuer).toBe(proxyCaName());
    const line = await one.proxy.waitForLog('request', (l) => l.path === '/chromium/proxy-server');
    expect(line).toMatchObject({ host: 'api.example.com', status: 200, clientCert: one.pki.alice.fingerprint256 });
  }, 60_000);

  it('opens a wss WebSocket from the page with a subprotocol negotiated end to end', async () => {
    const result = await page.evaluate(
      () =>
        new Promise<{ protocol: string; echo: string }>((resolve, reject) => {
          const ws = new WebSocket('wss://api.example.com/chromium/ws', ['chat.v1', 'chat.v2']);
          setTimeout(() => reject(new Error('no echo within 10 s')), 10_000);
          ws.onerror = () => reject(new Error('WebSocket error'));
          ws.onopen = () => ws.send('from the browser');
          ws.onmessage = (event) => {
            resolve({ protocol: ws.protocol, echo: String(event.data) });
            ws.close();
          };
        }),
    );
    expect(result).toEqual({ protocol: 'chat.v2', echo: `${one.pki.alice.fingerprint256} from the browser` });
    expect(sockets.at(-1)).toEqual({ url: '/chromium/ws', offered: ['chat.v1', 'chat.v2'], chosen: 'chat.v2', clientCert: one.pki.alice.fingerprint256 });
  }, 60_000);
});

describe('Chromium with --proxy-pac-url pointing at the proxy\'s /proxy.pac', () => {
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium(await home('proxy and server CAs'), [`--proxy-pac-url=http://127.0.0.1:${one.proxy.port}/proxy.pac`], ['other.example.com']);
    page = await browser.newPage();
  }, 60_000);

  afterAll(() => browser?.close());

  it("sends the rule's host through the proxy, which lends the certificate", async () => {
    const { seen, issuer } = await visit(page, 'https://api.example.com/chromium/pac');
    expect(seen).toMatchObject({ url: '/chromium/pac', clientCert: one.pki.alice.fingerprint256 });
    expect(issuer).toBe(proxyCaName());
  }, 60_000);

  it('sends a host without a rule DIRECT: the site shows its own certificate and the proxy sees nothing of it', async () => {
    const { seen, issuer } = await visit(page, `https://other.example.com:${direct.port}/chromium/direct`);
    expect(seen).toMatchObject({ url: '/chromium/direct', clientCert: null, servername: 'other.example.com' });
    expect(issuer).toBe('Test Server CA');
    expect(direct.seen.map((s) => s.url)).toContain('/chromium/direct');
    expect(proxySawHost('other.example.com')).toBe(false);
  }, 60_000);
});

describe("Chromium that does not trust the proxy's CA", () => {
  let browser: BrowserContext;

  beforeAll(async () => {
    browser = await launchChromium(await home('nothing'), [`--proxy-server=http://127.0.0.1:${one.proxy.port}`]);
  }, 60_000);

  afterAll(() => browser?.close());

  it('fails the navigation with ERR_CERT_AUTHORITY_INVALID, the proxy says why, and nothing reaches the upstream', async () => {
    const page = await browser.newPage();
    await expect(page.goto('https://api.example.com/chromium/untrusted', { timeout: 20_000 })).rejects.toThrow(/net::ERR_CERT_AUTHORITY_INVALID/);
    // On a busy machine Chromium may have a second connection under way (a backup for a
    // slow one, or a retry); it resets that one when the navigation fails, and its line
    // says ECONNRESET. The line of the connection that saw the certificate is the one.
    const line = await one.proxy.waitForLog('client tls error', (l) => l.host === 'api.example.com' && l.code !== 'ECONNRESET');
    // Chromium (BoringSSL) answers certificate_unknown; OpenSSL 3.5 (Node 24) names that alert SSL/TLS, 3.0 SSLV3.
    expect(line).toMatchObject({ code: expect.stringMatching(/^ERR_SSL_(SSLV3|SSL\/TLS)_ALERT_CERTIFICATE_UNKNOWN$/) });
    expect(line.error).toBe(
      `the client does not trust the proxy's CA for this host (it answered with the TLS alert certificate_unknown); make it trust ${one.proxy.proxy.context.ca.certPath} (mtls-proxy ca tells how)`,
    );
    expect(one.upstream.seen.some((s) => s.url.startsWith('/chromium/untrusted'))).toBe(false);
  }, 60_000);
});

describe('what Chromium sent on its own', () => {
  it('went to the closed loopback port, never to a name server or another address', () => {
    const others = one.proxy.lines.filter((l) => l.msg === 'upstream error' && l.host !== 'api.example.com');
    for (const line of others) expect(line.code, JSON.stringify(line)).toBe('ECONNREFUSED');
    expect(proxySawHost('other.example.com')).toBe(false);
  });
});
