import type { ClientCertificateRule, Config } from '../config/types.js';

/**
 * Names the CA set that verifies a route's upstream, in the config's own words,
 * for the `upstream tls` line and the 502 body: e.g. `system roots + upstream.ca`,
 * `clientCertificates[1].ca + upstream.ca`, `upstream.ca only (systemCA: false)`,
 * `verification off`. It mirrors what UpstreamSecureContexts builds.
 */
export function describeTrust(config: Config, rule: ClientCertificateRule | null): string {
  const { upstream } = config;
  if (!(rule?.verify ?? upstream.verify)) return 'verification off';
  const extra = [
    ...(rule && rule.ca.length > 0 ? [`clientCertificates[${rule.index}].ca`] : []),
    ...(upstream.ca.length > 0 ? ['upstream.ca'] : []),
  ];
  if (upstream.systemCA) return ['system roots', ...extra].join(' + ');
  if (extra.length === 0) return 'no CA at all (systemCA: false and no upstream.ca)';
  return `${extra.join(' + ')} only (systemCA: false)`;
}
