/** A rule written for one port while the client dials another: the proxy says so instead of tunnelling in silence. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startUpstream, type SeenRequest, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

let pki: ProxyPki;
let upstream: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeProxyPki();
  upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem });
  proxy = await startTestProxy(`clientCertificates:\n${ruleYaml(pki, 'localhost', 'alice', '    port: [8443, 9443]\n')}`);
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

const otherPortWarnings = (): Array<Record<string, unknown>> => proxy.lines.filter((l) => l.level === 40 && l.msg.startsWith('no client certificate for '));

describe('a CONNECT to a host whose rule names other ports', () => {
  it('is tunnelled as before, with one warning naming the rule, its ports and the fix', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await httpsViaProxy({ proxyPort: proxy.port, authority: `localhost:${upstream.port}`, ca: pki.serverCa.certPem });
      // Tunnelled: the client saw the real server and no certificate was lent.
      expect((JSON.parse(res.body) as SeenRequest).clientCert).toBeNull();
      expect(res.peerCert?.fingerprint256).toBe(pki.server.fingerprint256);
    }
    await proxy.waitForLog('tunnel', (l) => l.port === upstream.port);
    expect(otherPortWarnings()).toEqual([
      expect.objectContaining({
        host: 'localhost',
        port: upstream.port,
        rules: ['localhost'],
        msg: `no client certificate for localhost:${upstream.port}: clientCertificates[0] ("localhost", port 8443,9443) matches this host but not port ${upstream.port}; add ${upstream.port} to the port of clientCertificates[0] to lend its certificate here`,
      }),
    ]);
  });

  it('says nothing for a host no rule names on any port', async () => {
    const before = otherPortWarnings().length;
    await httpsViaProxy({ proxyPort: proxy.port, authority: `127.0.0.1:${upstream.port}`, ca: pki.serverCa.certPem });
    await proxy.waitForLog('tunnel', (l) => l.host === '127.0.0.1');
    expect(otherPortWarnings()).toHaveLength(before);
  });
});
