/** What a TLS alert a server sends about a client certificate means, in words. */
const CLIENT_CERT_ALERTS: Readonly<Record<string, string>> = {
  certificate_required: 'the server requires a client certificate and got none',
  unknown_ca: 'the server does not trust the CA that issued the client certificate',
  bad_certificate: 'the server found the client certificate unusable (a broken chain, a wrong key usage or signature)',
  certificate_unknown: 'the server rejected the client certificate (often: it does not trust its issuer, or the certificate is not for client authentication)',
  certificate_expired: 'the server considers the client certificate expired or not yet valid',
  certificate_revoked: 'the server considers the client certificate revoked',
  unsupported_certificate: 'the server does not support this kind of client certificate',
  access_denied: 'the server accepted the client certificate as valid but does not let it in',
  handshake_failure: 'the server ended the handshake (often: it wanted a client certificate it did not get, or no cipher is shared)',
};

/** The meaning of a client-certificate alert, or null for an alert about something else. */
export function clientCertAlertMeaning(alert: string): string | null {
  return CLIENT_CERT_ALERTS[alert] ?? null;
}
