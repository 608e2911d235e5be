import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { startH2Upstream, type H2UpstreamOptions, type TestH2Upstream } from '../helpers/h2-upstream.js';
import { tlsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startUpstream, type TestUpstream, type UpstreamOptions } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from '../proxy/fixtures.js';

/**
 * The h2 tests' set-up: an h2-only server as api.example.com and an HTTP/1.1-only
 * one as a.example.com, both requiring client certificates, and a proxy lending
 * alice's to *.example.com (unless `rules` says otherwise).
 */
export interface H2Setup {
  pki: ProxyPki;
  h2: TestH2Upstream;
  h1: TestUpstream;
  proxy: TestProxy;
  /** An h2 client connection to host:443 through the proxy, trusting the proxy's CA. */
  client(host: string): Promise<ClientHttp2Session>;
  close(): Promise<void>;
}

export interface H2SetupOptions {
  h2Handler?: H2UpstreamOptions['handler'];
  h1Handler?: UpstreamOptions['handler'];
  /** Top-level YAML before `upstream:` (e.g. timeouts). */
  yaml?: string;
  /** More `upstream.resolve` lines, given the h2 server's port. */
  resolve?: (h2Port: number) => string;
  /** The clientCertificates entries, given the PKI. */
  rules?: (pki: ProxyPki) => string;
}

export async function startH2Setup(options: H2SetupOptions = {}): Promise<H2Setup> {
  const pki = makeProxyPki();
  const serverCert = { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem };
  const h2 = await startH2Upstream({ ...serverCert, ...(options.h2Handler ? { handler: options.h2Handler } : {}) });
  const h1 = await startUpstream({ ...serverCert, ...(options.h1Handler ? { handler: options.h1Handler } : {}) });
  const proxy = await startTestProxy(`${options.yaml ?? ''}upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "api.example.com:443": "127.0.0.1:${h2.port}"
    "a.example.com:443": "127.0.0.1:${h1.port}"
${options.resolve?.(h2.port) ?? ''}clientCertificates:
${options.rules?.(pki) ?? ruleYaml(pki, '*.example.com', 'alice')}`);
  const clients: ClientHttp2Session[] = [];
  return {
    pki,
    h2,
    h1,
    proxy,
    client: async (host) => {
      const authority = `${host}:443`;
      const tls = await tlsViaProxy({ proxyPort: proxy.port, authority, ca: proxy.proxy.context.ca.certPem, alpn: ['h2'] });
      const session = http2Connect(`https://${authority}`, { createConnection: () => tls });
      session.on('error', () => {});
      clients.push(session);
      await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
      return session;
    },
    close: async () => {
      for (const c of clients) c.destroy();
      await proxy.close();
      await h2.close();
      await h1.close();
    },
  };
}
