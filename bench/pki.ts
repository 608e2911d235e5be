/** The benchmark's throwaway PKI, written as PEM files into the run's temp folder. */
import path from 'node:path';
import { makeCa, makeClientCert, makeServerCert, writeFiles } from '../test/helpers/pki.js';

export const BENCH_HOST = 'bench.example.com';
/** Never-seen hosts are h1..hN under this domain; every name resolves to the upstream. */
export const NEW_HOST_DOMAIN = 'example.com';
export const CLIENT_CN = 'bench-client';

export interface BenchPki {
  /** Trusted by clients that talk TLS to the upstream directly, and by the proxies. */
  serverCa: string;
  serverCert: string;
  serverKey: string;
  /** Trusted by the upstream for client certificates. */
  clientCa: string;
  clientCert: string;
  clientKey: string;
  /** Certificate followed by its key, the one-file form mitmproxy reads. */
  clientBundle: string;
}

export function writeBenchPki(dir: string): BenchPki {
  const serverCa = makeCa('mtls-proxy bench server CA');
  const server = makeServerCert(serverCa, { dnsNames: [BENCH_HOST, `*.${NEW_HOST_DOMAIN}`], ips: ['127.0.0.1'] });
  const clientCa = makeCa('mtls-proxy bench client CA');
  const client = makeClientCert(clientCa, CLIENT_CN);
  const files = writeFiles(path.join(dir, 'pki'), {
    'server-ca.pem': serverCa.certPem,
    'server.pem': server.certPem,
    'server.key': server.keyPem,
    'client-ca.pem': clientCa.certPem,
    'client.pem': client.certPem,
    'client.key': client.keyPem,
    'client-bundle.pem': client.certPem + client.keyPem,
  });
  return {
    serverCa: files['server-ca.pem']!,
    serverCert: files['server.pem']!,
    serverKey: files['server.key']!,
    clientCa: files['client-ca.pem']!,
    clientCert: files['client.pem']!,
    clientKey: files['client.key']!,
    clientBundle: files['client-bundle.pem']!,
  };
}

export function newHostName(n: number): string {
  return `h${n}.${NEW_HOST_DOMAIN}`;
}
