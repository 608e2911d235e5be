import type { Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { MtlsProxyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { summarizeCertificate } from '../certs/summary.js';
import { formatAuthority, isIpLiteral } from '../match/host.js';
import { dialTcp } from './dial.js';
import { strictServerIdentity } from './server-identity.js';
import type { UpstreamRoute } from './route.js';

export interface ConnectorOptions {
  route: UpstreamRoute;
  /** Required when route.tls. */
  secureContext?: SecureContext;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** How long a connection dialled ahead may wait unused. */
  idleTimeoutMs: number;
  logger: Logger;
}

/** undici's connect hook, plus `warm()` to dial a connection before any request needs it. */
export type Connector = buildConnector.connector & { warm(): void };

/**
 * Dials one route for undici. Each connector keeps the route's last TLS session,
 * so new sockets resume it: a session is never offered to another route, hence
 * never to another client identity.
 */
export function createConnector(options: ConnectorOptions): Connector {
  const { route, logger } = options;
  const label = formatAuthority(route.host, route.port);
  let session: Buffer | undefined;
  // One connection dialled ahead (see warm); taken by the next connect.
  let spare: Promise<Socket> | null = null;
  let spareIdle: NodeJS.Timeout | undefined;

  const dial = async (): Promise<Socket> => {
    const tcp = await dialTcp(route.tcp, options.connectTimeoutMs, label);
    if (!route.tls) return tcp;
    return new Promise((resolve, reject) => {
      const tls = tlsConnect({
        socket: tcp,
        // RFC 6066 §3: no SNI for IP literals.
        ...(isIpLiteral(route.host) !== 0 ? {} : { servername: route.host }),
        secureContext: options.secureContext,
        session,
        rejectUnauthorized: route.verify,
        checkServerIdentity: (_name, cert) => strictServerIdentity(route.host, cert),
        ALPNProtocols: ['http/1.1'],
      });
      const fail = (err: Error): void => {
        clearTimeout(timer);
        tls.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new MtlsProxyError('ERR_UPSTREAM_HANDSHAKE_TIMEOUT', `The TLS handshake with ${label} timed out.`)),
        options.handshakeTimeoutMs,
      );
      tls.once('error', fail);
      tls.on('session', (s: Buffer) => {
        session = s;
      });
      tls.once('secureConnect', () => {
        clearTimeout(timer);
        tls.off('error', fail);
        logUpstreamTls(logger, route, tls);
        // A TLS 1.3 server refuses a client certificate only after the client's side
        // of the handshake is done, and Node leaves the socket open on that alert:
        // closing it at once makes the alert, not the 'other side closed' that
        // follows, the reason undici gives for the failed request.
        tls.on('error', () => tls.destroy());
        resolve(tls);
      });
    });
  };

  const connector = ((_undiciOptions, callback) => {
    const ready = spare ?? dial();
    spare = null;
    clearTimeout(spareIdle);
    ready.then(
      (socket) => (socket.destroyed ? dial() : socket),
      // A failed spare is retried once, so its error is reported for a request that asked.
      () => dial(),
    ).then(
      (socket) => callback(null, socket),
      (err: Error) => callback(err, null),
    );
  }) as Connector;

  /**
   * Starts the upstream connection while the client is still in its own TLS
   * handshake with the proxy, so a new host pays for the two handshakes side by
   * side instead of one after the other. An unused spare is closed after idle time.
   */
  connector.warm = () => {
    if (spare) return;
    const dialing = dial();
    spare = dialing;
    dialing.then(
      (socket) => {
        if (spare !== dialing) return;
        spareIdle = setTimeout(() => {
          spare = null;
          socket.destroy();
        }, options.idleTimeoutMs);
        spareIdle.unref();
      },
      () => {
        if (spare === dialing) spare = null;
      },
    );
  };
  return connector;
}

function logUpstreamTls(logger: Logger, route: UpstreamRoute, socket: TLSSocket): void {
  const local = route.rule ? socket.getX509Certificate() : undefined;
  const peer = socket.getPeerX509Certificate();
  const client = local ? summarizeCertificate(local) : null;
  const server = peer ? summarizeCertificate(peer) : null;
  logger.info(
    {
      host: route.host,
      port: route.port,
      rule: route.rule?.host ?? null,
      clientCert: client && {
        subject: client.subject,
        issuer: client.issuer,
        serialNumber: client.serialNumber,
        fingerprint256: client.fingerprint256,
        validTo: client.validTo,
      },
      serverCert: server && {
        subject: server.subject,
        issuer: server.issuer,
        fingerprint256: server.fingerprint256,
        validTo: server.validTo,
      },
      authorized: socket.authorized,
      ...(socket.authorized ? {} : { authorizationError: String(socket.authorizationError) }),
      protocol: socket.getProtocol(),
      reused: socket.isSessionReused(),
    },
    'upstream tls',
  );
}
