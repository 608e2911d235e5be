import type { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { MtlsProxyError } from '../errors.js';
import { keyLogWriter } from '../log/keylog.js';
import type { Logger } from '../log/logger.js';
import type { UpstreamTlsEvent, ActivityFeed } from '../feed/feed.js';
import type { ProxyMetrics } from '../metrics/metrics.js';
import { summarizeCertificate, type CertSummary } from '../certs/summary.js';
import { formatAuthority } from '../match/host.js';
import { describeTcpTarget, dialTcp } from './dial.js';
import type { UpstreamRoute } from './route.js';
import type { PredialledSockets } from './predialled.js';
import { upstreamTlsOptions } from './tls-options.js';
import { verificationCode, VerificationBackoffError, type VerificationBackoff } from './verification.js';

export interface ConnectorOptions {
  route: UpstreamRoute;
  /** Required when route.tls. */
  secureContext?: SecureContext;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** How long a connection dialled ahead may wait unused. */
  idleTimeoutMs: number;
  /** Which CA set verifies this route's server, as describeTrust words it. */
  trust: string;
  /** Shared by every route of one config: host:port pairs not to offer the certificate to for now. */
  backoff: VerificationBackoff;
  logger: Logger;
  /** log.keylog: where this side's TLS secrets go, when set. */
  keylogFile?: string;
  metrics: ProxyMetrics;
  /** The console's feed, shown each new connection as the `upstream tls` line is. */
  feed?: ActivityFeed;
  /** TCP connections dialled ahead for the route, taken before dialling one. */
  predialled?: PredialledSockets;
  /** ALPN offered to the server: http/1.1 alone for undici's pools, h2 first for h2 sessions. */
  alpn?: readonly string[];
}

/** A TLS session to resume, with the server certificate it was made with (a resumed handshake carries none). */
interface SavedSession {
  readonly ticket: Buffer;
  readonly serverCert: ServerCertFields | null;
}

/** undici's connect hook, plus `warm()` to dial a connection before any request needs it. */
export type Connector = buildConnector.connector & {
  warm(): void;
  /** A connection dialled ahead is waiting or under way. */
  hasSpare(): boolean;
  /** A connection to the route made elsewhere (same identity and trust), kept as the spare. */
  adopt(socket: Socket): void;
  /** A connection to the route, as undici's hook would give it: for callers that are not undici. */
  open(): Promise<Socket>;
};

/**
 * Dials one route for undici. Each connector keeps the route's last TLS session,
 * so new sockets resume it: a session is never offered to another route, hence
 * never to another client identity.
 */
export function createConnector(options: ConnectorOptions): Connector {
  const { route, logger, metrics } = options;
  const label = formatAuthority(route.host, route.port);
  let session: SavedSession | undefined;
  // The route's identity, the same on every connection: summarized once.
  let clientCert: ClientCertFields | null | undefined;
  // One connection dialled ahead (see warm); taken by the next connect.
  let spare: Promise<Socket> | null = null;
  let spareIdle: NodeJS.Timeout | undefined;

  const dial = async (): Promise<Socket> => {
    const withheld = backedOff();
    if (withheld) throw withheld;
    const predialled = await options.predialled?.take();
    const tcp = predialled && !predialled.destroyed ? predialled : await dialTcp(route.tcp, options.connectTimeoutMs, label);
    // Tunnels relay half-closes; an HTTP connection never half-closes, and an h2
    // session learns of a server's FIN only from the socket's close, which a
    // half-open socket (and the TLS socket made on it) never reaches by itself.
    tcp.allowHalfOpen = false;
    metrics.trackOpen('upstream', tcp);
    if (!route.tls) return tcp;
    const offered = session;
    return new Promise((resolve, reject) => {
      const tls = tlsConnect({
        socket: tcp,
        ...upstreamTlsOptions(route, options.secureContext),
        ALPNProtocols: [...(options.alpn ?? ['http/1.1'])],
        session: offered?.ticket,
      });
      if (options.keylogFile !== undefined) tls.on('keylog', keyLogWriter(options.keylogFile));
      const fail = (err: Error): void => {
        clearTimeout(timer);
        metrics.upstreamHandshake(route.rule?.host ?? null, 'failure');
        tls.destroy();
        backOffAfter(err);
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new MtlsProxyError('ERR_UPSTREAM_HANDSHAKE_TIMEOUT', `The TLS handshake with ${label} timed out.`)),
        options.handshakeTimeoutMs,
      );
      tls.once('error', fail);
      // Under TLS 1.2 the ticket can come before the server is verified: a session
      // is kept only from a handshake that succeeded, so a failure is never resumed.
      let verified = false;
      let early: Buffer | undefined;
      let serverCert: ServerCertFields | null = null;
      // Read when the session is resumed: the certificate is summarized after the handshake.
      const save = (ticket: Buffer): void => {
        session = {
          ticket,
          get serverCert() {
            return serverCert;
          },
        };
      };
      tls.on('session', (ticket: Buffer) => (verified ? save(ticket) : (early = ticket)));
      tls.once('secureConnect', () => {
        clearTimeout(timer);
        tls.off('error', fail);
        verified = true;
        metrics.upstreamHandshake(route.rule?.host ?? null, 'success');
        if (early) save(early);
        // A TLS 1.3 server refuses a client certificate only after the client's side
        // of the handshake is done, and Node leaves the socket open on that alert:
        // closing it at once makes the alert, not the 'other side closed' that
        // follows, the reason undici gives for the failed request.
        tls.on('error', () => tls.destroy());
        const local = route.rule && clientCert === undefined ? tls.getX509Certificate() : undefined;
        const peer = tls.getPeerX509Certificate();
        const facts = tlsFacts(tls);
        resolve(tls);
        // The request is written first (resolve's continuations run before this turn
        // ends); reading the certificates for the line follows, before its response
        // can be read.
        setImmediate(() => {
          clientCert ??= local ? certFields(local, true) : null;
          serverCert = peer ? certFields(peer, false) : facts.reused ? (offered?.serverCert ?? null) : null;
          logUpstreamTls(logger, route, facts, { clientCert, serverCert, trust: options.trust });
          options.feed?.push(upstreamTlsEvent(route, facts, clientCert, serverCert));
        });
      });
    });
  };

  /** The error a dial gets while the route's host:port is backed off; null when it may dial. */
  const backedOff = (): VerificationBackoffError | null => {
    if (!route.rule) return null;
    const active = options.backoff.active(label, Date.now());
    return active && new VerificationBackoffError(active.error.code, label, active.secondsLeft, active.error);
  };

  const backOffAfter = (err: Error): void => {
    const code = verificationCode(err);
    // Only a handshake that offered the certificate needs holding back.
    if (!route.rule || code === null) return;
    if (!options.backoff.fail(label, Object.assign(err, { code }), Date.now())) return;
    logger.warn(
      { host: route.host, port: route.port, ...describeTcpTarget(route.tcp), rule: route.rule.host, code, error: err.message, backoffSeconds: options.backoff.durationSeconds },
      'client certificate withheld',
    );
  };

  const open = (): Promise<Socket> => {
    const ready = spare ?? dial();
    spare = null;
    clearTimeout(spareIdle);
    // A failed dial is never retried: the request gets its error. A retry would hand
    // the client certificate once more to a server that just failed verification.
    return ready.then((socket) => (socket.destroyed ? dial() : socket));
  };
  const connector = ((_undiciOptions, callback) => {
    open().then(
      (socket) => callback(null, socket),
      (err: Error) => callback(err, null),
    );
  }) as Connector;
  connector.open = open;

  /**
   * Starts the upstream connection while the client is still in its own TLS
   * handshake with the proxy, so a new host pays for the two handshakes side by
   * side instead of one after the other. An unused spare is closed after idle time.
   */
  connector.warm = () => {
    if (spare || backedOff()) return;
    keepSpare(dial());
  };
  connector.hasSpare = () => spare !== null;
  connector.adopt = (socket) => {
    if (spare) socket.destroy();
    else keepSpare(Promise.resolve(socket));
  };
  /** `dialing` is taken by the next connection; unused, it is closed after idle time. */
  const keepSpare = (dialing: Promise<Socket>): void => {
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

type ClientCertFields = Pick<CertSummary, 'subject' | 'issuer' | 'serialNumber' | 'fingerprint256' | 'validTo'>;
type ServerCertFields = Pick<CertSummary, 'subject' | 'issuer' | 'fingerprint256' | 'validTo'>;

function certFields(cert: X509Certificate, withSerial: true): ClientCertFields;
function certFields(cert: X509Certificate, withSerial: false): ServerCertFields;
function certFields(cert: X509Certificate, withSerial: boolean): ClientCertFields | ServerCertFields {
  const { subject, issuer, serialNumber, fingerprint256, validTo } = summarizeCertificate(cert);
  return withSerial ? { subject, issuer, serialNumber, fingerprint256, validTo } : { subject, issuer, fingerprint256, validTo };
}

/** What the lines say of a handshake, read while the socket is surely open. */
interface TlsFacts {
  authorized: boolean;
  authorizationError?: string;
  /** The HTTP protocol the server chose by ALPN; a server that chose none speaks http/1.1. */
  protocol: 'h2' | 'http/1.1';
  tlsVersion: string | null;
  reused: boolean;
}

function tlsFacts(socket: TLSSocket): TlsFacts {
  return {
    authorized: socket.authorized,
    ...(socket.authorized ? {} : { authorizationError: String(socket.authorizationError) }),
    protocol: socket.alpnProtocol === 'h2' ? 'h2' : 'http/1.1',
    tlsVersion: socket.getProtocol(),
    reused: socket.isSessionReused(),
  };
}

interface TlsFields {
  clientCert: ClientCertFields | null;
  serverCert: ServerCertFields | null;
  trust: string;
}

function logUpstreamTls(logger: Logger, route: UpstreamRoute, facts: TlsFacts, fields: TlsFields): void {
  logger.info(
    {
      host: route.host,
      port: route.port,
      ...describeTcpTarget(route.tcp),
      rule: route.rule?.host ?? null,
      clientCert: fields.clientCert,
      serverCert: fields.serverCert,
      trust: fields.trust,
      ...facts,
    },
    'upstream tls',
  );
}

function upstreamTlsEvent(route: UpstreamRoute, facts: TlsFacts, clientCert: ClientCertFields | null, serverCert: ServerCertFields | null): UpstreamTlsEvent {
  return {
    kind: 'upstream tls',
    time: Date.now(),
    host: route.host,
    port: route.port,
    rule: route.rule?.host ?? null,
    clientCert: clientCert?.fingerprint256 ?? null,
    serverCert: serverCert && { subject: serverCert.subject, fingerprint256: serverCert.fingerprint256 },
    ...facts,
  };
}
