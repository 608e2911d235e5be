import { loadCertificateStore } from '../certs/store.js';
import type { ClientCertificateRule, Config } from '../config/types.js';
import { HostError } from '../errors.js';
import { formatAuthority } from '../match/host.js';
import { HostMatcher, portLabel } from '../match/matcher.js';
import { otherPortsAdvice, rulesOnOtherPorts } from '../match/other-ports.js';
import { parseTarget } from '../match/target.js';
import { describeTcpTarget, Routes } from '../upstream/route.js';
import { UpstreamSecureContexts } from '../upstream/secure-contexts.js';
import { describeTrust } from '../upstream/trust.js';
import { UsageError, type CliArgs } from './args.js';
import { configFor } from './load.js';

/** HOST[:PORT] or a URL, as the command line gave it; a usage error when it is neither. */
export function targetArgument(target: string): { host: string; port: number } {
  try {
    return parseTarget(target);
  } catch (err) {
    if (err instanceof HostError) throw new UsageError(err.message);
    throw err;
  }
}

/** Lines naming the TCP leg and, when the proxy opens TLS itself, what verifies the server. */
function pathLines(config: Config, routes: Routes, host: string, port: number, rule: ClientCertificateRule | null, intercepted: boolean): string[] {
  const tcp = routes.tcpTarget(host, port);
  const lines = [`  dials:          ${describeTcpTarget(host, port, tcp)}`];
  if (intercepted) lines.push(`  verified by:    ${describeTrust(config, rule)}`);
  return lines;
}

/** Which rule, and so which client certificate, a CONNECT to HOST[:PORT] (or a URL) would get. */
export async function matchCommand(args: CliArgs): Promise<number> {
  const { host, port } = targetArgument(args.positionals[0]!);
  const config = await configFor(args);
  // Every rule is loaded, as start does, so that a config start would refuse is reported here too.
  const store = await loadCertificateStore(config);
  const matcher = new HostMatcher(config.clientCertificates);
  const routes = new Routes(config, new UpstreamSecureContexts(config, store));
  const rule = matcher.match(host, port);
  const target = formatAuthority(host, port);
  if (!rule) {
    const intercepted = config.intercept === 'all';
    const lines = [
      intercepted
        ? `${target}: no rule: intercepted (intercept: all) without a client certificate`
        : `${target}: no rule: tunnelled untouched, without a client certificate`,
      ...pathLines(config, routes, host, port, null, intercepted),
    ];
    const elsewhere = rulesOnOtherPorts(matcher, host, port);
    if (elsewhere.length > 0) lines.push(`  other ports:    ${otherPortsAdvice(elsewhere, port)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  const { summary } = store.identity(rule.index);
  const left = summary.daysLeft < 0 ? 'expired' : `${summary.daysLeft} days left`;
  const files = rule.pfx === undefined ? `${rule.cert ?? ''} + ${rule.key ?? ''}` : rule.pfx;
  process.stdout.write(
    [
      `${target}: rule clientCertificates[${rule.index}] (host "${rule.host}", port ${portLabel(rule.ports)}) in ${config.file ?? 'built-in defaults'}`,
      `  certificate:    ${summary.subject}`,
      `  issuer:         ${summary.issuer}`,
      `  fingerprint256: ${summary.fingerprint256}`,
      `  validTo:        ${summary.validTo} (${left})`,
      `  from:           ${files}`,
      ...pathLines(config, routes, host, port, rule, true),
    ].join('\n') + '\n',
  );
  const own = `clientCertificates[${rule.index}].`;
  for (const w of store.warnings) if (w.path.startsWith(own)) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
  if (rule.verify === false) process.stderr.write(`warning: ${own}verify: the server's certificate is not verified for this rule\n`);
  return 0;
}
