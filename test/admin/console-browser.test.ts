/**
 * The console in a real browser (Debian's chromium, driven by playwright-core; no
 * browser is downloaded): the page loads without a console error, a page error or a
 * CSP violation, shows the rules, follows live traffic, filters it and runs probes.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeClientCert, writeFiles, type TestCert } from '../helpers/pki.js';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from '../proxy/fixtures.js';
import { launchChromium } from '../clients-matrix/chromium.js';


let pki: ProxyPki;
let carol: TestCert;
let accepting: TestUpstream;
let refusing: TestUpstream;
let proxy: TestProxy;
let browser: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  pki = makeProxyPki();
  // Expires within warnExpiryDays (30): the console must make it stand out.
  carol = makeClientCert(pki.clientCa, 'carol', { days: 10 });
  const files = writeFiles(pki.dir, { 'carol.crt': carol.certPem, 'carol.key': carol.keyPem });
  accepting = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  refusing = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: makeCa('Another Client CA').certPem });
  proxy = await startTestProxy(`upstream:
  ca: [${pki.files['server-ca.pem']}]
  resolve:
    "api.example.com:443": "127.0.0.1:${accepting.port}"
    "refuse.example.com:443": "127.0.0.1:${refusing.port}"
clientCertificates:
  - host: refuse.example.com
    cert: ${files['carol.crt']}
    key: ${files['carol.key']}
${ruleYaml(pki, 'api.example.com', 'alice')}`);
  // A fresh profile and home; the page is asked for directly, not through a proxy.
  browser = await launchChromium(mkdtempSync(join(tmpdir(), 'mtls-proxy-console-')), []);
  page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  // Added through the DevTools protocol, so the page's CSP does not apply to it.
  await page.addInitScript({
    content: "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
  });
  await page.goto(`http://127.0.0.1:${proxy.port}/`);
  await page.locator('#feed-state', { hasText: 'live' }).waitFor({ timeout: 10_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await accepting?.close();
  await refusing?.close();
});

async function request(path: string): Promise<void> {
  const res = await httpsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem, path });
  expect(res.status).toBe(200);
}

describe('the console in a browser', () => {
  it('shows the rules in precedence order with their fingerprints in full in the title, the expiring one standing out', async () => {
    const rows = page.locator('#rules tbody tr');
    await rows.nth(1).waitFor();
    // Two exact hosts on port 443: the later rule goes first.
    expect(await rows.nth(0).locator('td').nth(1).textContent()).toBe('api.example.com');
    expect(await rows.nth(1).locator('td').nth(1).textContent()).toBe('refuse.example.com');
    for (const cert of [pki.alice, carol]) {
      const cell = page.locator(`#rules td.fp[title="${cert.fingerprint256}"]`);
      expect(await cell.count()).toBe(1);
      expect(await cell.textContent()).toBe(`${cert.fingerprint256.slice(0, 11)}…${cert.fingerprint256.slice(-5)}`);
    }
    expect(await rows.nth(1).locator('td.expiring').textContent()).toMatch(/^in (9|10) days/);
    expect(await rows.nth(0).locator('td.expiring, td.expired').count()).toBe(0);
    expect(await page.locator('a[href="/ca.crt"]').count()).toBeGreaterThan(0);
  });

  it('shows a request made through the proxy within a second, with the certificate presented and no query string', async () => {
    await request('/feed-check?token=secret-in-query');
    const row = page.locator('#feed tr.request', { hasText: '/feed-check' });
    await row.waitFor({ timeout: 1000 });
    const cells = row.locator('td');
    expect(await cells.nth(1).textContent()).toBe('GET');
    expect(await cells.nth(2).textContent()).toBe('api.example.com:443');
    expect(await cells.nth(4).textContent()).toBe('200');
    expect(await cells.nth(5).textContent()).toBe('api.example.com');
    expect(await cells.nth(6).getAttribute('title')).toBe(pki.alice.fingerprint256);
    const tls = page.locator('#feed tr.tls', { hasText: 'api.example.com:443' }).first();
    expect(await tls.locator('td').nth(1).textContent()).toMatch(/^TLSv1\.3 http\/1\.1/);
    expect(await tls.locator('td').nth(7).textContent()).toBe('authorized');
    expect(await tls.locator('td').nth(6).getAttribute('title')).toBe(pki.alice.fingerprint256);
    expect(await page.content()).not.toContain('secret-in-query');
  });

  it('the filter hides the rows that do not match', async () => {
    await request('/another-path');
    const other = page.locator('#feed tr.request', { hasText: '/another-path' });
    await other.waitFor({ timeout: 1000 });
    const first = page.locator('#feed tr.request', { hasText: '/feed-check' });
    await page.fill('#filter', 'feed-check');
    expect(await other.isHidden()).toBe(true);
    expect(await first.isVisible()).toBe(true);
    // What only a title shows is found too: the whole fingerprint.
    await page.fill('#filter', pki.alice.fingerprint256.slice(-8).toLowerCase());
    expect(await other.isVisible()).toBe(true);
    await page.fill('#filter', 'nothing-like-this');
    expect(await first.isHidden()).toBe(true);
    await page.fill('#filter', '');
    expect(await other.isVisible()).toBe(true);
  });

  it('the probe form reports an accepting server and a refusing one', async () => {
    const result = page.locator('#probe-result');
    await page.fill('#probe-target', 'api.example.com');
    await page.click('#probe-form button');
    await page.locator('#probe-result.ok').waitFor({ timeout: 10_000 });
    expect(await result.textContent()).toContain(`fingerprint256 ${pki.alice.fingerprint256}`);
    expect(await result.textContent()).toContain('result: OK');

    await page.fill('#probe-target', 'https://refuse.example.com/');
    await page.click('#probe-form button');
    await page.locator('#probe-result.fail').waitFor({ timeout: 10_000 });
    expect(await result.textContent()).toContain('probably refused');
    expect(await result.textContent()).toContain(`fingerprint256 ${carol.fingerprint256}`);
  });

  it('had no console error, page error or CSP violation, and leaves a screenshot', async () => {
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/console.png', fullPage: true });
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
    expect(problems).toEqual([]);
  });
});
