import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { CertificateStore } from '../certs/store.js';
import { summarizeCertificate } from '../certs/summary.js';
import type { ClientCertificateRule, Config } from '../config/types.js';
import { MtlsProxyError } from '../errors.js';
import { formatAuthority } from '../match/host.js';
import type { HostMatcher } from '../match/matcher.js';
import { classifyUpstreamError } from '../proxy/proxy-status.js';
import { describeTcpTarget as dialWords, dialTcp } from '../upstream/dial.js';
import { describeTcpTarget, type Routes, type UpstreamRoute } from '../upstream/route.js';
import { upstreamTlsOptions } from '../upstream/tls-options.js';
import { clientCertAlertMeaning } from './alerts.js';
import { ServerHandshakeWatch, watchedStream } from './handshake-watch.js';

/** What a probe reads from one config: the same parts the proxy routes with. */
export interface ProbeParts {
  readonly config: Config;
  readonly matcher: HostMatcher<ClientCertificateRule>;
  readonly store: Pick<CertificateStore, 'identity'>;
  readonly routes: Routes;
}

export interface CertWords {
  readonly subject: string;
  readonly issuer: string;
  readonly fingerprint256: string;
  readonly validTo: string;
}

export interface ProbeTls {
  readonly protocol: string | null;
  readonly cipher: string;
  readonly serverCert: CertWords | null;
  readonly authorized: boolean;
  readonly authorizationError: string | null;
  /** Seen in the clear under TLS 1.2; null under TLS 1.3, which encrypts the request. */
  readonly certificateRequested: boolean | null;
}

/**
 * What the server did with the client certificate: `accepted` (it answered after
 * receiving it), `not asked` (TLS 1.2 showed no request, so none was sent), `refused`
 * (an alert), `required` (no rule, and the server wanted one), `none` (no rule, and
 * the server answered), `dropped` (the server closed the connection after receiving
 * it, with no alert and no answer: how Node's TLS servers refuse one), or `unknown`
 * (the probe failed before it could tell).
 */
export type ClientCertVerdict = 'accepted' | 'not asked' | 'refused' | 'required' | 'dropped' | 'none' | 'unknown';

export interface ProbeReport {
  /** host:port */
  readonly target: string;
  /** Where the TCP leg went: `127.0.0.1:9443 (upstream.resolve)`, through upstream.proxy... */
  readonly dialled: string;
  readonly rule: { readonly index: number; readonly pattern: string; readonly cert: CertWords } | null;
  /** Which CA set verifies the server (describeTrust). */
  readonly trust: string;
  readonly tls: ProbeTls | null;
  readonly clientCert: ClientCertVerdict;
  /** The TLS alert the server sent, and what it means for a client certificate. */
  readonly alert: { readonly name: string; readonly meaning: string | null } | null;
  readonly headStatus: number | null;
  /** One sentence on what failed; null when the server answered HEAD /. */
  readonly failure: string | null;
  /** The server accepted the certificate (or, with no rule, answered): the CLI exits 0. */
  readonly ok: boolean;
}

function certWords(cert: ReturnType<TLSSocket['getPeerX509Certificate']>): CertWords | null {
  if (!cert) return null;
  const { subject, issuer, fingerprint256, validTo } = summarizeCertificate(cert);
  return { subject, issuer, fingerprint256, validTo };
}

function tlsOutcome(tls: TLSSocket, watch: ServerHandshakeWatch): ProbeTls {
  const protocol = tls.getProtocol();
  const cipher = tls.getCipher();
  return {
    protocol,
    cipher: cipher.standardName ?? cipher.name,
    serverCert: certWords(tls.getPeerX509Certificate()),
    authorized: tls.authorized,
    authorizationError: tls.authorized ? null : String(tls.authorizationError),
    certificateRequested: protocol === 'TLSv1.3' ? null : watch.certificateRequested,
  };
}

function handshake(stream: ReturnType<typeof watchedStream>, route: UpstreamRoute, timeoutMs: number, label: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // The verdict is reported, not enforced here: no request is sent when it fails (below).
    const tls = tlsConnect({ socket: stream, ...upstreamTlsOptions(route, route.credentials?.secureContext()), rejectUnauthorized: false });
    const timer = setTimeout(() => tls.destroy(new MtlsProxyError('ERR_UPSTREAM_HANDSHAKE_TIMEOUT', `The TLS handshake with ${label} timed out.`)), timeoutMs);
    tls.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(tls);
    });
  });
}

/**
 * The status line's code of `HEAD /`. Under TLS 1.3 a server that refuses the client
 * certificate does so only after the handshake: its alert arrives here, as an error.
 */
function headStatus(tls: TLSSocket, host: string, port: number, timeoutMs: number, label: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let head = '';
    const timer = setTimeout(
      () => tls.destroy(new MtlsProxyError('ERR_PROBE_NO_RESPONSE', `${label} sent no answer to HEAD / within timeouts.response.`)),
      timeoutMs,
    );
    const settle = (): void => {
      clearTimeout(timer);
      tls.removeAllListeners('data');
    };
    tls.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head)?.[1];
      if (status !== undefined) {
        settle();
        resolve(Number(status));
      } else if (head.includes('\n') || head.length > 1024) {
        settle();
        reject(new MtlsProxyError('ERR_PROBE_NOT_HTTP', `${label} answered HEAD / with something other than HTTP.`));
      }
    });
    tls.once('error', (err) => {
      settle();
      reject(err);
    });
    const closed = (): void => {
      settle();
      reject(new MtlsProxyError('ERR_PROBE_CLOSED', `${label} closed the connection without answering HEAD /.`));
    };
    tls.once('end', closed);
    tls.once('close', closed);
    const hostHeader = port === 443 ? formatAuthority(host, port).replace(/:443$/, '') : formatAuthority(host, port);
    tls.write(`HEAD / HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: mtls-proxy-probe\r\nConnection: close\r\n\r\n`);
  });
}

/**
 * Connects to host:port as the proxy would for a CONNECT there (the rule the matcher
 * picks, upstream.resolve, upstream.proxy, the same TLS options), sends `HEAD /`, and
 * says what happened. Never throws for a network or TLS failure: the report says it.
 */
export async function probeUpstream(parts: ProbeParts, host: string, port: number): Promise<ProbeReport> {
  const { timeouts } = parts.config;
  const rule = parts.matcher.match(host, port);
  const route = parts.routes.route(host, port, true, rule);
  const label = formatAuthority(host, port);
  const trust = route.credentials?.trust ?? '';
  const base = {
    target: label,
    dialled: describeTcpTarget(host, port, route.tcp),
    rule: rule && { index: rule.index, pattern: rule.host, cert: parts.store.identity(rule.index).summary },
    trust,
  };
  const failed = (err: unknown, tls: ProbeTls | null): ProbeReport => {
    const failure = classifyUpstreamError(err, label, rule !== null, { ...dialWords(route.tcp), trust });
    const alert = failure.type === 'tls_alert_received' ? { name: failure.details, meaning: clientCertAlertMeaning(failure.details) } : null;
    const ours = err instanceof MtlsProxyError && err.code.startsWith('ERR_PROBE_');
    // After the handshake, a close (FIN or RST, as the timing goes) with no answer.
    const closed = tls !== null && ((ours && err.code === 'ERR_PROBE_CLOSED') || failure.type === 'connection_terminated');
    const verdict: ClientCertVerdict = alert?.meaning != null ? (rule ? 'refused' : 'required') : rule && closed ? 'dropped' : 'unknown';
    return { ...base, tls, clientCert: verdict, alert, headStatus: null, failure: ours ? err.message : failure.sentence, ok: false };
  };

  let tcp: Socket;
  try {
    tcp = await dialTcp(route.tcp, timeouts.connect * 1000, label);
  } catch (err) {
    return failed(err, null);
  }
  const watch = new ServerHandshakeWatch();
  let tls: TLSSocket;
  try {
    tls = await handshake(watchedStream(tcp, watch), route, timeouts.handshake * 1000, label);
  } catch (err) {
    tcp.destroy();
    return failed(err, null);
  }
  const outcome = tlsOutcome(tls, watch);
  try {
    if (!tls.authorized && route.verify) {
      // As the proxy would: nothing is sent to a server that failed verification.
      return failed(Object.assign(new Error(outcome.authorizationError ?? ''), { code: outcome.authorizationError }), outcome);
    }
    const status = await headStatus(tls, host, port, timeouts.response * 1000, label);
    const asked = outcome.certificateRequested !== false;
    const clientCert: ClientCertVerdict = rule ? (asked ? 'accepted' : 'not asked') : 'none';
    return { ...base, tls: outcome, clientCert, alert: null, headStatus: status, failure: null, ok: true };
  } catch (err) {
    return failed(err, outcome);
  } finally {
    tls.destroy();
  }
}
