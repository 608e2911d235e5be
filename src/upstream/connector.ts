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
  logger: Logger;
}

export type Connector = buildConnector.connector;

/**
 * Dials one route for undici. Each connector keeps the route's last TLS session,
 * so new sockets resume it: a session is never offered to another route, hence
 * never to another client identity.
 */
export function createConnector(options: ConnectorOptions): Connector {
  const { route, logger } = options;
  let session: Buffer | undefined;
  return (_undiciOptions, callback) => {
    const label = formatAuthority(route.host, route.port);
    dialTcp(route.tcp, options.connectTimeoutMs, label).then(
      (tcp) => {
        if (!route.tls) return callback(null, tcp);
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
          callback(err, null);
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
          callback(null, tls);
        });
      },
      (err: Error) => callback(err, null),
    );
  };
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
