/**
 * OpenSSL's codes for the TLS alerts a client sends when it refuses the server's
 * certificate (RFC 8446 6.2), by alert name. Here the server is the proxy, with a
 * leaf signed by its own CA: a client sends one of these when it does not trust
 * that CA yet, by far the most common first-day failure. OpenSSL 3.5 (Node 24)
 * names the alerts SSLv3 already had `SSL/TLS` instead of `SSLV3` (Chromium's
 * certificate_unknown, for one).
 */
const CERTIFICATE_ALERT = /^ERR_SSL_(?:SSLV3|SSL\/TLS|TLSV1)_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED)$/;

/**
 * The `client tls error` line's `error` in plain words when the client refused the
 * proxy's certificate, or null for any other failure (the raw message then stands).
 */
export function clientRefusedCertificate(code: string | undefined, caCertPath: string): string | null {
  const alert = CERTIFICATE_ALERT.exec(code ?? '')?.[1];
  if (alert === undefined) return null;
  return `the client does not trust the proxy's CA for this host (it answered with the TLS alert ${alert.toLowerCase()}); make it trust ${caCertPath} (mtls-proxy ca tells how)`;
}
