import type { ClientCertificateRule, Config } from '../config/types.js';

function files(count: number): string {
  return `${count} file${count === 1 ? '' : 's'}`;
}

/**
 * Which certificates verify an upstream server for `rule` (null: no rule), in a few
 * words for a person: `system roots + upstream.ca (1 file)`,
 * `upstream.ca (2 files) + clientCertificates[1].ca (1 file)`, or
 * `verification off (upstream.verify: false)`. The same trust set
 * UpstreamSecureContexts builds; for `match`, the `upstream tls` line and 502 bodies.
 */
export function describeTrust(config: Config, rule: ClientCertificateRule | null): string {
  const { upstream } = config;
  if (rule?.verify === false) return `verification off (clientCertificates[${rule.index}].verify: false)`;
  if (rule?.verify === undefined && !upstream.verify) return 'verification off (upstream.verify: false)';
  const parts = [
    ...(upstream.systemCA ? ['system roots'] : []),
    ...(upstream.ca.length > 0 ? [`upstream.ca (${files(upstream.ca.length)})`] : []),
    ...(rule && rule.ca.length > 0 ? [`clientCertificates[${rule.index}].ca (${files(rule.ca.length)})`] : []),
  ];
  return parts.length > 0 ? parts.join(' + ') : 'no certificate at all (upstream.systemCA: false and no ca files), so every server fails verification';
}
