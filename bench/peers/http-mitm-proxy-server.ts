/**
 * Standalone (plain node): http-mitm-proxy with the certificate hook a user
 * would write: onRequest lends the client certificate (an https.Agent holding
 * it) to every host under the bench domain, and points the request at the
 * upstream's loopback address while SNI, Host and verification keep the name.
 */
import { Proxy } from 'http-mitm-proxy';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';

interface Args {
  caDir: string;
  upstreamPort: number;
  domain: string;
  clientCert: string;
  clientKey: string;
  serverCa: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const withClientCert = new Agent({
  keepAlive: true,
  cert: readFileSync(args.clientCert),
  key: readFileSync(args.clientKey),
  ca: readFileSync(args.serverCa),
});

const proxy = new Proxy();
proxy.onRequest((ctx, callback) => {
  const options = ctx.proxyToServerRequestOptions;
  if (ctx.isSSL && options && (options.host === args.domain || options.host.endsWith(`.${args.domain}`))) {
    Object.assign(options, { servername: options.host, host: '127.0.0.1', port: args.upstreamPort, agent: withClientCert });
  }
  callback();
});
proxy.listen({ host: '127.0.0.1', port: 0, sslCaDir: args.caDir, keepAlive: true }, () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: proxy.httpPort })}\n`);
});
