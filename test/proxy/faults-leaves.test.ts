import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsViaProxy, tlsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

/**
 * A burst of CONNECTs to never-seen names: the leaf cache stays within its bound,
 * and a host whose leaf is cached is served while the new names wait for theirs.
 */

const NEW_HOSTS = 1000;
/** The cache's bound (src/tls/leaf-cache.ts). */
const MAX_LEAVES = 1000;

let pki: ProxyPki;
let upstream: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeProxyPki();
  upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  // Every name but the known one is dialled through an upstream proxy that refuses at
  // once: nothing is looked up in DNS, nothing leaves loopback.
  proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  proxy: http://127.0.0.1:${await closedPort()}
  noProxy: [api.example.com]
  resolve:
    "api.example.com:443": "127.0.0.1:${upstream.port}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`);
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

function known() {
  return httpsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem });
}

describe('a burst of CONNECTs to never-seen names', () => {
  it('keeps the leaf cache bounded and serves a known host while the new ones wait', { timeout: 60_000 }, async () => {
    const leaves = proxy.proxy.context.leaves;
    expect((await known()).status).toBe(200);

    let handshakes = 0;
    const burst = Array.from({ length: NEW_HOSTS }, (_, i) =>
      tlsViaProxy({ proxyPort: proxy.port, authority: `n${i}.example.com:443`, ca: proxy.proxy.context.ca.certPem }).then((tls) => {
        handshakes += 1;
        tls.destroy();
      }),
    );
    // Started after the whole burst, answered before it is through: the known host's
    // leaf is cached, so it never queues behind the mints of the new names.
    const answer = await known();
    const doneBefore = handshakes;
    expect(answer.status).toBe(200);
    expect(doneBefore).toBeLessThan(NEW_HOSTS);

    await Promise.all(burst);
    expect(handshakes).toBe(NEW_HOSTS);
    expect(leaves.pending).toBe(0);
    // 1001 names were minted; the least recently used one made way.
    expect(leaves.size).toBe(MAX_LEAVES);
    expect((await known()).status).toBe(200);
  });
});
