/**
 * A config file for the client-side commands: a real upstream that requires a
 * client certificate, reached as api.example.com through upstream.resolve, and a
 * rule lending alice's certificate to it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from '../proxy/fixtures.js';

export interface ConfiguredUpstream {
  readonly dir: string;
  readonly config: string;
  readonly pki: ProxyPki;
  readonly upstream: TestUpstream;
  close(): Promise<void>;
}

export async function configuredUpstream(extraYaml = ''): Promise<ConfiguredUpstream> {
  const { dir, remove } = tempDir('clients');
  const pki = makeProxyPki();
  const upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  const config = path.join(dir, 'config.yaml');
  writeFileSync(
    config,
    `listen:\n  host: 127.0.0.1\n  port: 0\nca:\n  dir: ./ca\nupstream:\n  ca: [${pki.files['server-ca.pem']}]\n  resolve:\n    "api.example.com:443": "127.0.0.1:${upstream.port}"\n${extraYaml}clientCertificates:\n${ruleYaml(pki, 'api.example.com', 'alice')}`,
  );
  return {
    dir,
    config,
    pki,
    upstream,
    close: async () => {
      await upstream.close();
      remove();
    },
  };
}
