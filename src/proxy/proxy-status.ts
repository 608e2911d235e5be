import { SERVER_VERIFICATION_CODES } from '../upstream/verification.js';

/**
 * Which answer the client gets for which upstream failure: a pure mapping from
 * a Node/undici error to an HTTP status and an RFC 9209 Proxy-Status error type.
 */

export type ProxyErrorType =
  | 'dns_error'
  | 'destination_unavailable'
  | 'connection_timeout'
  | 'tls_certificate_error'
  | 'tls_alert_received'
  | 'tls_protocol_error'
  | 'connection_terminated'
  | 'http_response_timeout'
  | 'proxy_internal_error'
  | 'proxy_configuration_error';

export interface UpstreamFailure {
  status: 502 | 504;
  type: ProxyErrorType;
  /** A short machine-readable detail, usually the error code. */
  details: string;
  /** One sentence for the user: what happened and what to change. */
  sentence: string;
}


const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const TERMINATED_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE']);

function codeOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const { code, cause } = err as { code?: unknown; cause?: unknown };
    // undici wraps socket failures; the cause says what really happened.
    if (code === 'UND_ERR_SOCKET' && cause) {
      const inner = codeOf(cause);
      if (inner !== 'UNKNOWN') return inner;
    }
    if (typeof code === 'string') return code;
  }
  return 'UNKNOWN';
}

/** The TLS alert name in an OpenSSL error code, e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED -> certificate_required. */
function alertName(code: string): string | null {
  const m = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code);
  return m?.[1] ? m[1].toLowerCase() : null;
}

const CLIENT_CERT_ALERTS = new Set(['certificate_required', 'bad_certificate', 'handshake_failure', 'unknown_ca', 'certificate_unknown', 'access_denied', 'certificate_expired', 'certificate_revoked', 'unsupported_certificate']);

/** What the 502 body says beyond host:port: where the connection really went and what verified it. */
export interface DialDetails {
  /** The address dialled (after upstream.resolve), `via` the upstream proxy when used. */
  readonly address: string;
  readonly via?: string;
  /** Which CA set verifies the server (describeTrust). */
  readonly trust: string;
}

export function classifyUpstreamError(err: unknown, label: string, hasClientCert: boolean, dial?: DialDetails): UpstreamFailure {
  const code = codeOf(err);
  const dialled = dial && (dial.address !== label || dial.via) ? ` (dialled ${dial.address}${dial.via ? ` via ${dial.via}` : ''})` : '';
  const target = label + dialled;
  if (DNS_CODES.has(code)) {
    return { status: 502, type: 'dns_error', details: code, sentence: `The name ${target} could not be resolved (${code}); check the host name or map it with upstream.resolve.` };
  }
  if (UNAVAILABLE_CODES.has(code)) {
    return { status: 502, type: 'destination_unavailable', details: code, sentence: `${target} refused or could not take the connection (${code}); check that the server is up, or fix its address in upstream.resolve.` };
  }
  if (code === 'ERR_UPSTREAM_CONNECT_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { status: 504, type: 'connection_timeout', details: code, sentence: `Connecting to ${target} timed out; check the address or raise timeouts.connect.` };
  }
  if (code === 'ERR_UPSTREAM_HANDSHAKE_TIMEOUT') {
    return { status: 504, type: 'connection_timeout', details: code, sentence: `The TLS handshake with ${target} timed out; check that it speaks TLS on this port or raise timeouts.handshake.` };
  }
  if (code === 'ERR_UPSTREAM_PROXY' || code === 'ERR_UPSTREAM_PROXY_AUTH') {
    const message = err instanceof Error ? err.message : `The upstream proxy refused ${target}.`;
    return { status: 502, type: code === 'ERR_UPSTREAM_PROXY_AUTH' ? 'proxy_configuration_error' : 'destination_unavailable', details: code, sentence: message };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'ERR_UPSTREAM_RESPONSE_TIMEOUT') {
    return { status: 504, type: 'http_response_timeout', details: code, sentence: `${target} did not send response headers in time; raise timeouts.response if it is slow.` };
  }
  if (code === 'UND_ERR_BODY_TIMEOUT' || code === 'ERR_UPSTREAM_BODY_TIMEOUT') {
    return { status: 504, type: 'http_response_timeout', details: code, sentence: `${target} stopped sending the response body for timeouts.idle; raise it if the server pauses that long.` };
  }
  if (SERVER_VERIFICATION_CODES.has(code)) {
    const against = dial ? ` against ${dial.trust}` : '';
    return { status: 502, type: 'tls_certificate_error', details: code, sentence: `The certificate of ${target} failed verification (${code})${against}; trust its CA with upstream.ca or the rule's ca, or set verify: false on the rule for this host.` };
  }
  const alert = alertName(code);
  if (alert) {
    const hint = CLIENT_CERT_ALERTS.has(alert)
      ? hasClientCert
        ? 'it did not accept the client certificate sent; check the rule for this host in clientCertificates.'
        : 'no client certificate was sent; add a clientCertificates rule for this host.'
      : 'check the TLS settings of the server.';
    return { status: 502, type: 'tls_alert_received', details: alert, sentence: `${target} ended the TLS handshake with the alert ${alert}; ${hint}` };
  }
  if (code.startsWith('ERR_SSL_') || code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
    return { status: 502, type: 'tls_protocol_error', details: code, sentence: `The TLS handshake with ${target} failed (${code}); check that it speaks TLS on this port.` };
  }
  if (TERMINATED_CODES.has(code)) {
    return { status: 502, type: 'connection_terminated', details: code, sentence: `${target} closed the connection before answering (${code}).` };
  }
  return { status: 502, type: 'proxy_internal_error', details: code, sentence: `The request to ${target} failed (${code}).` };
}

export function proxyStatusHeader(failure: Pick<UpstreamFailure, 'type' | 'details'>): string {
  return `mtls-proxy; error=${failure.type}; details=${JSON.stringify(failure.details)}`;
}
