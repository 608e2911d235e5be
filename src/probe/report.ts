import type { CertWords, ProbeReport } from './probe.js';

function cert(words: CertWords): string {
  return `${words.subject} (fingerprint256 ${words.fingerprint256}, valid to ${words.validTo})`;
}

function clientCertLine(report: ProbeReport): string {
  const { clientCert, alert, tls } = report;
  switch (clientCert) {
    case 'accepted':
      return tls?.certificateRequested
        ? 'accepted: the server asked for it (TLS 1.2 CertificateRequest) and answered'
        : 'accepted: the server answered after receiving it (TLS 1.3 hides whether it asked)';
    case 'not asked':
      return 'not asked for: the server sent no CertificateRequest, so none was sent';
    case 'refused':
      return `refused with the alert ${alert!.name}: ${alert!.meaning!}`;
    case 'required':
      return `none sent (no rule), and the server wants one: alert ${alert!.name}, ${alert!.meaning!}`;
    case 'dropped':
      return 'probably refused: the server closed the connection after receiving it, with no alert and no answer (Node servers refuse a certificate so)';
    case 'none':
      return 'none sent (no rule for this host:port), and the server answered';
    case 'unknown':
      return 'unknown: the probe failed before the server could say';
  }
}

function row(label: string, value: string): string {
  return `  ${`${label}:`.padEnd(21)}${value}`;
}

/** The probe's findings in plain words, one a line: what the CLI prints and the console shows. */
export function describeProbe(report: ProbeReport): string[] {
  const { rule, tls } = report;
  const lines = [`probe ${report.target}`, row('dials', report.dialled)];
  lines.push(row('rule', rule ? `clientCertificates[${rule.index}] "${rule.pattern}"` : 'none: no client certificate is sent'));
  if (rule) lines.push(row('client certificate', cert(rule.cert)));
  if (tls) {
    lines.push(row('tls', `${tls.protocol ?? 'unknown version'}, ${tls.cipher}`));
    lines.push(row('server certificate', tls.serverCert ? `${cert(tls.serverCert)}, issued by ${tls.serverCert.issuer}` : 'none'));
    lines.push(row('verified', `${tls.authorized ? 'yes' : `no (${tls.authorizationError ?? 'unknown'})`}, against ${report.trust}`));
  }
  lines.push(row('server verdict', clientCertLine(report)));
  if (report.headStatus !== null) lines.push(row('HEAD /', String(report.headStatus)));
  lines.push(report.ok ? 'result: OK' : `result: FAILED: ${report.failure ?? 'unknown failure'}`);
  return lines;
}
