/**
 * `mtls-proxy demo`: the whole path in one process, with throwaway files. A client sends
 * one request through the proxy to an upstream that requires a client certificate; the
 * upstream reports which certificate it received. Everything made lives in one temp
 * folder, removed at the end whatever happened.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { startProxy } from '../proxy/start.js';
import { describeFileError } from '../tls/ca-files.js';
import { getThroughProxy } from './client.js';
import { DemoError } from './errors.js';
import { writeDemoPki } from './pki.js';
import { startDemoUpstream, type SeenCertificate } from './upstream.js';

/** A name reserved for testing (RFC 2606): it never resolves, so only the rule's `resolve` reaches the upstream. */
export const DEMO_HOST = 'demo.mtls-proxy.test';
const DEMO_PATH = '/hello';
const CLIENT_NAME = 'demo-client';

export interface DemoReport {
  readonly folder: string;
  readonly url: string;
  readonly proxy: { readonly port: number; readonly rule: string };
  readonly upstreamPort: number;
  /** The certificate the proxy's rule presents upstream. */
  readonly presented: SeenCertificate;
  /** What the upstream says it received. */
  readonly seen: SeenCertificate;
  readonly status: number;
}

/** Runs the demo and removes its folder; throws DemoError (or a config error) when a step fails. */
export async function runDemo(): Promise<DemoReport> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'mtls-proxy-demo-')).catch((err: unknown) => {
    throw new DemoError(`cannot make a temp folder in ${os.tmpdir()}: ${describeFileError(err)}; set TMPDIR to a writable folder`, { cause: err });
  });
  try {
    return await demoIn(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function demoIn(folder: string): Promise<DemoReport> {
  const pki = await writeDemoPki(folder, DEMO_HOST, CLIENT_NAME);
  const upstream = await startDemoUpstream({ ...pki.server, clientCaPem: pki.caPem });
  try {
    // JSON is YAML: the config goes through the same parser and schema as a user's file.
    const config = parseConfig(
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 0 },
        ca: { dir: path.join(folder, 'proxy-ca') },
        upstream: { ca: [pki.caFile], systemCA: false, resolve: { [`${DEMO_HOST}:443`]: `127.0.0.1:${upstream.port}` } },
        clientCertificates: [{ host: DEMO_HOST, cert: pki.clientCertFile, key: pki.clientKeyFile }],
        log: { level: 'warn' },
      }),
      null,
      {},
    );
    // The proxy's own log lines would clutter the demo's output: only warnings, on stderr.
    const logger = createLogger({ ...config.log, destination: pino.destination({ dest: 2, sync: true }) });
    const proxy = await startProxy(config, logger);
    try {
      const response = await getThroughProxy({ proxyPort: proxy.port, host: DEMO_HOST, path: DEMO_PATH, proxyCaPem: proxy.context.ca.certPem });
      const { subject, fingerprint256 } = proxy.context.store.identity(0).summary;
      return {
        folder,
        url: `https://${DEMO_HOST}${DEMO_PATH}`,
        proxy: { port: proxy.port, rule: DEMO_HOST },
        upstreamPort: upstream.port,
        presented: { subject, fingerprint256 },
        seen: seenCertificate(response.status, response.body),
        status: response.status,
      };
    } finally {
      await proxy.close();
    }
  } finally {
    await upstream.close();
  }
}

function seenCertificate(status: number, body: string): SeenCertificate {
  try {
    if (status !== 200) throw new Error(`status ${status}`);
    const seen = (JSON.parse(body) as { clientCertificate?: SeenCertificate }).clientCertificate;
    if (typeof seen?.fingerprint256 !== 'string' || typeof seen.subject !== 'string') throw new Error('no clientCertificate');
    return seen;
  } catch (err) {
    throw new DemoError(`the request through the proxy did not reach the upstream: ${status} ${body.trim().slice(0, 200)}`, { cause: err });
  }
}
