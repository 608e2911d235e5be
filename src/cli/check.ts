import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CertSummary } from '../certs/summary.js';
import { loadCertificateStore } from '../certs/store.js';
import type { ClientCertificateRule, Config } from '../config/types.js';
import { allProblemsAtOnce, ConfigError } from '../errors.js';
import { formatFieldPath } from '../config/field-path.js';
import { formatAuthority, parseAuthority } from '../match/host.js';
import { otherPortsAdvice, rulesOnOtherPorts } from '../match/other-ports.js';
import { HostMatcher, portLabel, type Shadowing } from '../match/matcher.js';
import { riskyPattern } from '../match/risky-patterns.js';
import { caWarnings, loadOrCreateCa } from '../tls/ca.js';
import type { CliArgs } from './args.js';
import { configFor } from './load.js';
import { renderTable } from './table.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function shadowWarning({ rule, by, ports }: Shadowing<ClientCertificateRule>): string {
  const where = ports === '*' ? 'on every port' : `on port ${portLabel(ports)}`;
  return `clientCertificates[${rule.index}]: the rule for "${rule.host}" is never used ${where}: clientCertificates[${by.index}] ("${by.host}") wins for the same hosts`;
}

/**
 * A resolve entry for host:port whose host has rules only on other ports: the
 * entry is dialled, but without the certificate its author probably meant to
 * lend. A bare host key covers every port, so it never misses a rule this way.
 */
function resolveWarnings(config: Config, matcher: HostMatcher<ClientCertificateRule>): string[] {
  return Object.keys(config.upstream.resolve).flatMap((key) => {
    // Keys are canonical: host:port, [v6]:port, or a bare host (an IPv6 one unbracketed).
    if (!key.startsWith('[') && key.split(':').length !== 2) return [];
    const { host, port } = parseAuthority(key);
    const rules = rulesOnOtherPorts(matcher, host, port);
    return rules.length > 0 ? [`${formatFieldPath(['upstream', 'resolve', key])}: ${otherPortsAdvice(rules, port)}`] : [];
  });
}

/** Warnings about choices in the config itself, as opposed to the certificates it names. */
function configWarnings(config: Config, matcher: HostMatcher<ClientCertificateRule>, shadowings: readonly Shadowing<ClientCertificateRule>[]): string[] {
  const warnings = [...(config.loadWarnings ?? []), ...shadowings.map(shadowWarning), ...resolveWarnings(config, matcher)];
  if (!config.upstream.verify) {
    warnings.push('upstream.verify: server certificates are not verified, so an impostor on the network could receive the requests sent through the proxy');
  }
  for (const rule of config.clientCertificates) {
    const risky = riskyPattern(rule.host);
    if (risky) warnings.push(`clientCertificates[${rule.index}].host: ${risky.message}`);
    if (rule.verify === false) {
      warnings.push(`clientCertificates[${rule.index}].verify: server certificates are not verified for "${rule.host}", so an impostor on the network could receive these requests`);
    }
  }
  return warnings;
}

/** A few words per problem for the table; the full sentences follow it as `warning:` lines. */
function ruleLabels(rule: ClientCertificateRule, summary: CertSummary, config: Config, shadowedBy: readonly number[], now: Date): string[] {
  const labels: string[] = [];
  if (summary.daysLeft < 0) labels.push('expired');
  else if (now < new Date(summary.validFrom)) labels.push('not yet valid');
  else if (summary.daysLeft < config.warnExpiryDays) labels.push(summary.daysLeft === 0 ? 'expires today' : `expires in ${plural(summary.daysLeft, 'day')}`);
  if (summary.selfSigned) labels.push('self-signed');
  for (const index of shadowedBy) labels.push(`shadowed by #${index}`);
  if (riskyPattern(rule.host)) labels.push('risky wildcard');
  if (rule.verify === false || (rule.verify === undefined && !config.upstream.verify)) labels.push('verify off');
  return labels;
}

/** Why start could not create `dir`, or null: its nearest existing ancestor must be a writable folder. */
function cannotCreate(dir: string): string | null {
  let existing = dir;
  while (!existsSync(existing)) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) return `${existing} is a file, not a folder`;
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    return `${existing} is not writable by this user`;
  }
  return null;
}

/** An existing or brought CA is checked; `check` never creates one, but makes sure start could. */
async function checkCa(config: Config): Promise<{ line: string; warnings: string[] }> {
  const { dir, cert, key } = config.ca;
  const exists = cert !== undefined || key !== undefined || ['ca.crt', 'ca.key'].some((name) => existsSync(join(dir, name)));
  if (!exists) {
    const reason = cannotCreate(dir);
    if (reason !== null) throw new ConfigError(config.file, 'ca.dir', `the CA cannot be created in ${dir}: ${reason}`);
    return { line: `ca: none yet; one is created in ${dir} on first start (or by "mtls-proxy ca")`, warnings: [] };
  }
  const ca = await loadOrCreateCa(config.ca, config.file);
  return { line: `ca: ${ca.certPath}`, warnings: caWarnings(ca).map((w) => `ca: ${w}`) };
}

/** Validates the config and every file it names; prints a table of rules. 0 when usable, 2 when not. */
export async function checkCommand(args: CliArgs): Promise<number> {
  const now = new Date();
  const config = await configFor(args);
  const [store, ca] = await allProblemsAtOnce(loadCertificateStore(config, now), checkCa(config));
  const matcher = new HostMatcher(config.clientCertificates);
  const shadowings = matcher.shadowed();

  const ruleWarnings = store.warnings.map((w) => `${w.path}: ${w.message}`);
  const warnings = [...ruleWarnings, ...configWarnings(config, matcher, shadowings), ...ca.warnings];
  const rows = config.clientCertificates.map((rule) => {
    const { summary } = store.identity(rule.index);
    const shadowedBy = shadowings.filter((s) => s.rule === rule).map((s) => s.by.index);
    let labels = ruleLabels(rule, summary, config, shadowedBy, now);
    // Problems without a label of their own (an unusual key usage, say) still show in the row.
    if (labels.length === 0 && ruleWarnings.some((w) => w.startsWith(`clientCertificates[${rule.index}].`))) labels = ['see warnings'];
    return [`#${rule.index}`, rule.host, portLabel(rule.ports), summary.subject, String(summary.daysLeft), labels.join(', ') || '-'];
  });

  const out = [`config: ${config.file ?? 'built-in defaults'}`, `listen: ${formatAuthority(config.listen.host, config.listen.port)}, intercept: ${config.intercept}`];
  if (rows.length === 0) {
    out.push('No clientCertificates rules: every CONNECT is tunnelled untouched. Add one (see config.example.yaml).');
  } else {
    out.push('', renderTable(['RULE', 'PATTERN', 'PORT', 'CERTIFICATE SUBJECT', 'DAYS LEFT', 'WARNINGS'], rows), '');
  }
  out.push(ca.line);
  process.stdout.write(`${out.join('\n')}\n`);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`OK: ${plural(rows.length, 'rule')}, ${plural(warnings.length, 'warning')}\n`);
  return 0;
}
