import { loadCertificateStore } from '../certs/store.js';
import { HostError } from '../errors.js';
import { HostMatcher } from '../match/matcher.js';
import { formatAuthority, parseAuthority } from '../match/host.js';
import { UsageError, type CliArgs } from './args.js';
import { portLabel } from './check.js';
import { configFor } from './load.js';

export async function matchCommand(args: CliArgs): Promise<number> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseAuthority(args.positionals[0]!, 443));
  } catch (err) {
    throw new UsageError(err instanceof HostError ? err.message : String(err));
  }
  const config = await configFor(args);
  const matcher = new HostMatcher(config.clientCertificates);
  const rule = matcher.match(host, port);
  const target = formatAuthority(host, port);
  if (!rule) {
    process.stdout.write(
      config.intercept === 'all'
        ? `${target}: no rule: intercepted (intercept: all) without a client certificate\n`
        : `${target}: no rule: tunnelled\n`,
    );
    return 0;
  }
  const store = await loadCertificateStore(config);
  const { summary } = store.identity(rule.index);
  process.stdout.write(
    [
      `${target}: rule clientCertificates[${rule.index}] host "${rule.host}" port ${portLabel(rule)}`,
      `certificate: ${summary.subject}`,
      `issuer: ${summary.issuer}`,
      `fingerprint256: ${summary.fingerprint256}`,
      `validTo: ${summary.validTo} (${summary.daysLeft} days left)`,
    ].join('\n') + '\n',
  );
  return 0;
}
