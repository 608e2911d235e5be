import { changeTrust } from '../clients/trust/index.js';
import { loadOrCreateCa } from '../tls/ca.js';
import type { CliArgs } from './args.js';
import { configFor } from './load.js';

/** `trust` / `untrust`: the CA of the config in the stores named (or found); one line per store. */
export async function trustCommand(args: CliArgs): Promise<number> {
  const config = await configFor(args);
  const ca = await loadOrCreateCa(config.ca, config.file);
  const action = args.command === 'untrust' ? 'untrust' : 'trust';
  const selection = { system: args.system ?? false, nss: args.nss ?? [], java: args.java ?? false };
  const report = await changeTrust(ca, action, selection, args.dryRun ?? false);
  for (const line of report.lines) (line.startsWith('error:') ? process.stderr : process.stdout).write(`${line}\n`);
  return report.ok ? 0 : 1;
}
