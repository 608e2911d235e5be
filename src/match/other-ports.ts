import { portLabel, type HostMatcher, type MatchableRule } from './matcher.js';

/**
 * The rules that would lend a certificate to `host` if only the port were another:
 * empty when a rule covers host:port itself. A rule written for 8443 while the
 * client dials 443 otherwise fails silently, as a plain tunnel.
 */
export function rulesOnOtherPorts<R extends MatchableRule>(matcher: HostMatcher<R>, host: string, port: number): R[] {
  if (matcher.match(host, port) !== null) return [];
  return matcher.matchAnyPort(host);
}

/** `clientCertificates[1] ("api.example.com", port 443,8443)`, naming a rule as check and match do. */
function ruleLabel(rule: MatchableRule): string {
  return `clientCertificates[${rule.index}] ("${rule.host}", port ${portLabel(rule.ports)})`;
}

/** One sentence naming the rules (at least one) that cover a host only on other ports, and the fix. */
export function otherPortsAdvice(rules: readonly MatchableRule[], port: number): string {
  const verb = rules.length === 1 ? 'matches' : 'match';
  return `${rules.map(ruleLabel).join(' and ')} ${verb} this host but not port ${port}; add ${port} to the port of clientCertificates[${rules[0]!.index}] to lend its certificate here`;
}
