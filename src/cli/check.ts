import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCertificateStore } from '../certs/store.js';
import type { ClientCertificateRule } from '../config/types.js';
import { HostMatcher } from '../match/matcher.js';
import { caWarnings, loadOrCreateCa } from '../tls/ca.js';
import type { CliArgs } from './args.js';
import { configFor } from './load.js';
import { renderTable } from './table.js';

export function portLabel(rule: ClientCertificateRule): string {
  return rule.ports === '*' ? '*' : rule.ports.join(',');
}

/** Validates the config and every file it names; prints a table of rules. 0 when usable, 2 when not. */
export async function checkCommand(args: CliArgs): Promise<number> {
  const config = await configFor(args);
  const store = await loadCertificateStore(config);
  const matcher = new HostMatcher(config.clientCertificates);
  const warnings: string[] = store.warnings.map((w) => `${w.path}: ${w.message}`);
  for (const { rule, by } of matcher.shadowed()) {
    warnings.push(
      `clientCertificates[${rule.index}]: the rule for "${rule.host}" is shadowed by clientCertificates[${by.index}] ("${by.host}"), which wins for the same hosts and ports`,
    );
  }
  // Check an existing or brought CA, but never create one from `check`.
  const caExists = config.ca.cert !== undefined || existsSync(join(config.ca.dir, 'ca.key'));
  if (caExists) {
    const ca = await loadOrCreateCa(config.ca, config.file);
    for (const w of caWarnings(ca)) warnings.push(`ca: ${w}`);
  }

  const rows = config.clientCertificates.map((rule) => {
    const { summary, warnings: own } = store.identity(rule.index);
    return [rule.host, portLabel(rule), summary.subject, String(summary.daysLeft), own.length > 0 ? own.join('; ') : '-'];
  });
  process.stdout.write(`config: ${config.file ?? 'built-in defaults'}\n`);
  if (rows.length === 0) {
    process.stdout.write('No clientCertificates rules: every CONNECT is tunnelled untouched. Add one (see config.example.yaml).\n');
  } else {
    process.stdout.write(`${renderTable(['PATTERN', 'PORT', 'CERTIFICATE SUBJECT', 'DAYS LEFT', 'WARNINGS'], rows)}\n`);
  }
  process.stdout.write(
    caExists ? `ca: ${config.ca.cert ?? join(config.ca.dir, 'ca.crt')}\n` : `ca: none yet; created in ${config.ca.dir} on first start\n`,
  );
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`OK: ${rows.length} rule${rows.length === 1 ? '' : 's'}, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}\n`);
  return 0;
}
