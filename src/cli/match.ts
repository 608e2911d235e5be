import { loadCertificateStore } from '../certs/store.js';
import { HostError } from '../errors.js';
import { formatAuthority, parseAuthority } from '../match/host.js';
import { HostMatcher, portLabel } from '../match/matcher.js';
import { UsageError, type CliArgs } from './args.js';
import { configFor } from './load.js';

function parseTarget(authority: string): { host: string; port: number } {
  try {
    return parseAuthority(authority, 443);
  } catch (err) {
    if (err instanceof HostError) throw new UsageError(err.message);
    throw err;
  }
}

/** Which rule, and so which client certificate, a CONNECT to HOST[:PORT] would get. */
export async function matchCommand(args: CliArgs): Promise<number> {
  const { host, port } = parseTarget(args.positionals[0]!);
  const config = await configFor(args);
  // Every rule is loaded, as start does, so that a config start would refuse is reported here too.
  const store = await loadCertificateStore(config);
  const rule = new HostMatcher(config.clientCertificates).match(host, port);
  const target = formatAuthority(host, port);
  if (!rule) {
    process.stdout.write(
      config.intercept === 'all'
        ? `${target}: no rule: intercepted (intercept: all) without a client certificate\n`
        : `${target}: no rule: tunnelled untouched, without a client certificate\n`,
    );
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
    ].join('\n') + '\n',
  );
  const own = `clientCertificates[${rule.index}].`;
  for (const w of store.warnings) if (w.path.startsWith(own)) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
  if (rule.verify === false) process.stderr.write(`warning: ${own}verify: the server's certificate is not verified for this rule\n`);
  return 0;
}
