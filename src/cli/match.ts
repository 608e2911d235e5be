import { loadCertificateStore } from '../certs/store.js';
import type { ClientCertificateRule, Config } from '../config/types.js';
import { HostError } from '../errors.js';
import { formatAuthority, parseAuthority } from '../match/host.js';
import { HostMatcher, portLabel } from '../match/matcher.js';
import { otherPortsAdvice, rulesOnOtherPorts } from '../match/other-ports.js';
import { describeTcpTarget, Routes } from '../upstream/route.js';
import { UpstreamSecureContexts } from '../upstream/secure-contexts.js';
import { describeTrust } from '../upstream/trust.js';
import { UsageError, type CliArgs } from './args.js';
import { configFor } from './load.js';

/** The port a URL's scheme implies, for the schemes whose traffic goes through the proxy. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'https:': 443, 'http:': 80, 'wss:': 443, 'ws:': 80 };

/** HOST[:PORT], or a URL pasted from a browser or a curl command line: its host and port. */
function parseTarget(target: string): { host: string; port: number } {
  try {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return parseAuthority(target, 443);
    const url = new URL(target);
    const defaultPort = DEFAULT_PORTS[url.protocol];
    if (defaultPort === undefined) throw new UsageError(`"${url.protocol}//" URLs do not go through the proxy; give an http:// or https:// URL, or HOST[:PORT]`);
    // WHATWG URLs drop a port equal to the scheme's default; `host` keeps any other.
    return parseAuthority(url.host, defaultPort);
  } catch (err) {
    if (err instanceof HostError) throw new UsageError(err.message);
    if (err instanceof TypeError) throw new UsageError(`Invalid URL ${JSON.stringify(target)}: give HOST[:PORT] or a URL such as https://api.example.com/`);
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
  const { host, port } = parseTarget(args.positionals[0]!);
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
