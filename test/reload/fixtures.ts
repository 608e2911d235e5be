import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { loadConfig } from '../../src/config/load.js';
import { proxyReloadTarget, reloadOnChanges, type Reloader } from '../../src/reload/reloader.js';
import { httpsViaProxy, readRawResponse } from '../helpers/proxy-client.js';
import { startTestProxy, type LogLine, type TestProxy } from '../helpers/test-proxy.js';
import { startUpstream, type SeenRequest, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, type ProxyPki } from '../proxy/fixtures.js';

/** A proxy that reloads on file changes, in front of one upstream that requires client certificates. */
export interface Reloadable {
  readonly pki: ProxyPki;
  readonly upstream: TestUpstream;
  readonly proxy: TestProxy;
  readonly reloader: Reloader;
  /** The config file. */
  readonly file: string;
  /** Writes the config file in place: `rules` under clientCertificates, `extra` at the top level. */
  writeConfig(rules: string, extra?: string): void;
  /** Resolves with the next line with this msg, logged after this call. */
  next(msg: string): Promise<LogLine>;
  /** The client certificate the upstream saw, for a request on a new client connection. */
  clientCertFor(host?: string): Promise<string | null>;
  close(): Promise<void>;
}

const HOSTS = ['api.example.com', 'other.example.com'];

/** `rules` gets the PKI (and may write files of its own) before the proxy starts. */
export async function startReloadable(rules: (pki: ProxyPki) => string, extra = ''): Promise<Reloadable> {
  const pki = makeProxyPki();
  const upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  const text = (r: string, e: string): string =>
    `listen:\n  host: 127.0.0.1\n  port: 0\nca:\n  dir: ./ca\n${e}upstream:\n  ca: ${pki.files['server-ca.pem']}\n  resolve:\n${HOSTS.map((h) => `    "${h}:443": "127.0.0.1:${upstream.port}"\n`).join('')}clientCertificates:\n${r}`;
  const proxy = await startTestProxy(text(rules(pki), extra));
  const file = join(proxy.dir, 'config.yaml');
  const reloader = reloadOnChanges(proxyReloadTarget(proxy.proxy), { load: () => loadConfig({ file, env: {}, cwd: proxy.dir }) });
  await reloader.ready;
  return {
    pki,
    upstream,
    proxy,
    reloader,
    file,
    writeConfig: (r, e = '') => writeFileSync(file, text(r, e)),
    next(msg) {
      const seen = proxy.logs(msg).length;
      return proxy.waitForLog(msg, (line) => proxy.logs(msg).indexOf(line) >= seen);
    },
    async clientCertFor(host = 'api.example.com') {
      const res = await httpsViaProxy({ proxyPort: proxy.port, authority: `${host}:443`, ca: proxy.proxy.context.ca.certPem });
      if (res.status !== 200) throw new Error(`${host} answered ${res.status}: ${res.body}`);
      return (JSON.parse(res.body) as SeenRequest).clientCert;
    },
    close: async () => {
      reloader.close();
      await proxy.close();
      await upstream.close();
    },
  };
}

/** One request on an open keep-alive connection (decrypted tunnel or not); the upstream's JSON answer. */
export async function requestOn(stream: Duplex, host: string): Promise<{ status: number; seen: SeenRequest | null }> {
  const response = readRawResponse(stream);
  stream.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  const { status, body } = await response;
  return { status, seen: status === 200 ? (JSON.parse(body.toString('utf8')) as SeenRequest) : null };
}
