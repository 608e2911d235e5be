import type { Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { MtlsProxyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ProxyMetrics } from '../metrics/metrics.js';
import { summarizeCertificate, type CertSummary } from '../certs/summary.js';
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
  metrics: ProxyMetrics;
}

/**
 * undici's connect hook, plus `warm()` to dial a connection before any request needs
 * it. `started` is called once that connection's first bytes are sent, or it failed.
 */
export type Connector = buildConnector.connector & { warm(started: () => void): void };

/**
 * Dials one route for undici. Each connector keeps the route's last TLS session,
 * so new sockets resume it: a session is never offered to another route, hence
 * never to another client identity.
 */
export function createConnector(options: ConnectorOptions): Connector {
  const { route, logger, metrics } = options;
  const label = formatAuthority(route.host, route.port);
  let session: Buffer | undefined;
  // The route's identity, the same on every connection: summarized once.
  let clientCert: ClientCertFields | null | undefined;
  // One connection dialled ahead (see warm); taken by the next connect.
  let spare: Promise<Socket> | null = null;
  let spareIdle: NodeJS.Timeout | undefined;

  const dial = async (started?: () => void): Promise<Socket> => {
    const tcp = await dialTcp(route.tcp, options.connectTimeoutMs, label);
    metrics.trackOpen('upstream', tcp);
    if (!route.tls) {
      started?.();
      return tcp;
    }
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
      started?.();
      const fail = (err: Error): void => {
        clearTimeout(timer);
        metrics.upstreamHandshake(route.rule?.host ?? null, 'failure');
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
        metrics.upstreamHandshake(route.rule?.host ?? null, 'success');
        clientCert ??= clientCertFields(route, tls);
        logUpstreamTls(logger, route, tls, clientCert);
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
  connector.warm = (started) => {
    if (spare) return started();
    let notify: (() => void) | null = started;
    const once = (): void => {
      notify?.();
      notify = null;
    };
    const dialing = dial(once);
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
        once();
      },
    );
  };
  return connector;
}

type ClientCertFields = Pick<CertSummary, 'subject' | 'issuer' | 'serialNumber' | 'fingerprint256' | 'validTo'>;

function clientCertFields(route: UpstreamRoute, socket: TLSSocket): ClientCertFields | null {
  const local = route.rule ? socket.getX509Certificate() : undefined;
  if (!local) return null;
  const { subject, issuer, serialNumber, fingerprint256, validTo } = summarizeCertificate(local);
  return { subject, issuer, serialNumber, fingerprint256, validTo };
}

function logUpstreamTls(logger: Logger, route: UpstreamRoute, socket: TLSSocket, clientCert: ClientCertFields | null): void {
  const peer = socket.getPeerX509Certificate();
  const server = peer ? summarizeCertificate(peer) : null;
  logger.info(
    {
      host: route.host,
      port: route.port,
      rule: route.rule?.host ?? null,
      clientCert,
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
