/**
 * http/https agents that reach every host through an HTTP proxy's CONNECT tunnel,
 * except hosts NO_PROXY sends direct. Node 20's http and https read no proxy
 * variable, so the preload installs these as the global agents.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { bypassesProxy, parseNoProxy } from './no-proxy.cjs';

type Entries = ReturnType<typeof parseNoProxy>;
type ConnectionOptions = http.ClientRequestArgs & tls.ConnectionOptions;
type Done = (err: Error | null, socket: Duplex) => void;

/** Node's Agent reads only the error when there is one; its typings ask for a socket all the same. */
function tunnelled(done: Done): (err: Error | null, socket?: Duplex) => void {
  return (err, socket) => (err || !socket ? (done as (err: Error) => void)(err ?? new Error('no tunnel')) : done(null, socket));
}

export interface ProxySettings {
  readonly proxy: URL;
  readonly noProxy: Entries;
}

const HEAD_LIMIT = 16 * 1024;

/** Basic credentials from the proxy URL's userinfo, percent-decoded. */
function proxyAuthorization(proxy: URL): string {
  if (proxy.username === '' && proxy.password === '') return '';
  const pair = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Proxy-Authorization: Basic ${Buffer.from(pair).toString('base64')}\r\n`;
}

/** Opens a CONNECT tunnel to host:port; `done` gets the raw socket once the proxy answered 2xx. */
export function openTunnel(settings: ProxySettings, host: string, port: number, done: (err: Error | null, socket?: net.Socket) => void): void {
  const { proxy } = settings;
  const proxyHost = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
  const socket = net.connect(Number(proxy.port || 80), proxyHost);
  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${proxyAuthorization(proxy)}\r\n`);
  let head = Buffer.alloc(0);
  const fail = (err: Error): void => {
    socket.off('data', onData);
    socket.destroy();
    done(err);
  };
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) {
      if (head.length > HEAD_LIMIT) fail(new Error(`the proxy ${proxy.host} sent an oversized answer to CONNECT`));
      return;
    }
    socket.off('data', onData);
    socket.off('error', fail);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1];
    if (status === undefined || !status.startsWith('2')) {
      socket.destroy();
      done(new Error(`the proxy ${proxy.host} answered CONNECT ${authority} with ${status ?? 'no HTTP status'}`));
      return;
    }
    const rest = head.subarray(end + 4);
    if (rest.length > 0) socket.unshift(rest);
    done(null, socket);
  };
  socket.on('data', onData);
  socket.once('error', fail);
}

/** TLS to the target inside a tunnel, with the request's own TLS options. */
function secureOver(socket: net.Socket, options: ConnectionOptions, host: string): tls.TLSSocket {
  // RFC 6066 §3: no SNI for IP literals, as https.Agent does.
  const servername = options.servername ?? (net.isIP(host) === 0 ? host : undefined);
  return tls.connect({ ...options, ...(servername === undefined ? {} : { servername }), socket, path: undefined });
}

/**
 * The createConnection both agents share: `direct` (the agent's own) for hosts
 * NO_PROXY names, else a tunnel, wrapped in TLS for https.
 */
function connectVia(settings: ProxySettings, options: ConnectionOptions, done: Done | undefined, secure: boolean, direct: () => Duplex | null | undefined): Duplex | null | undefined {
  const host = options.host ?? 'localhost';
  const port = Number(options.port);
  if (done === undefined || bypassesProxy(settings.noProxy, host, port)) return direct();
  const connected = tunnelled(done);
  openTunnel(settings, host, port, (err, socket) => {
    if (err || !socket) connected(err);
    else connected(null, secure ? secureOver(socket, options, host) : socket);
  });
  return undefined;
}

/** Plain http:// through a CONNECT tunnel: the request itself stays in origin form. */
export class TunnelHttpAgent extends http.Agent {
  constructor(
    readonly settings: ProxySettings,
    options?: http.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: ConnectionOptions, done?: Done): Duplex | null | undefined {
    return connectVia(this.settings, options, done, false, () => super.createConnection(options, done));
  }
}

/** https:// through a CONNECT tunnel: TLS runs end to end inside it. */
export class TunnelHttpsAgent extends https.Agent {
  constructor(
    readonly settings: ProxySettings,
    options?: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: ConnectionOptions, done?: Done): Duplex | null | undefined {
    return connectVia(this.settings, options, done, true, () => super.createConnection(options, done));
  }
}
