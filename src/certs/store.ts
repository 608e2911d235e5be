import type { Config } from '../config/types.js';
import { CertificateError, ConfigError, ConfigErrors } from '../errors.js';
import { loadCaFile } from './ca-bundle.js';
import { IdentityError, IdentityErrors } from './errors.js';
import { loadClientIdentity, type ClientIdentity } from './identity.js';

/** Every certificate the config names, loaded and checked once. */
export interface CertificateStore {
  identity(ruleIndex: number): ClientIdentity;
  /** upstream.ca certificates, PEM. */
  readonly upstreamCa: readonly string[];
  /** The rule's own ca certificates, PEM. */
  ruleCa(ruleIndex: number): readonly string[];
  readonly warnings: ReadonlyArray<{ path: string; message: string }>;
}

type Problem = { readonly path: string; readonly error: CertificateError };
type Outcome<T> = { ok: true; value: T } | { ok: false; problems: readonly Problem[] };

/** Settles one load, keeping certificate problems (with their config paths) and letting bugs through. */
async function attempt<T>(path: string, pending: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await pending };
  } catch (err) {
    if (!(err instanceof CertificateError)) throw err;
    const errors = err instanceof IdentityErrors ? err.errors : [err];
    return { ok: false, problems: errors.map((e) => ({ path: e instanceof IdentityError ? `${path}.${e.field}` : path, error: e })) };
  }
}

function loadCaFiles(path: string, files: readonly string[]): Promise<Array<Outcome<string[]>>> {
  return Promise.all(files.map((file, j) => attempt(`${path}[${j}]`, loadCaFile(file))));
}

function expiresIn(daysLeft: number): string {
  if (daysLeft === 0) return 'within a day';
  return `in ${daysLeft} day${daysLeft === 1 ? '' : 's'}`;
}

/**
 * Loads every rule's identity and every CA file. All problems, those loadConfig
 * left on a rule (an unreadable passphraseFile) included, are reported together
 * as ConfigErrors; usable-but-suspicious certificates become warnings.
 */
export async function loadCertificateStore(config: Config, now: Date = new Date()): Promise<CertificateStore> {
  const rules = config.clientCertificates;
  const [upstreamCa, identities, ruleCas] = await Promise.all([
    loadCaFiles('upstream.ca', config.upstream.ca),
    Promise.all(rules.map((rule) => attempt(`clientCertificates[${rule.index}]`, loadClientIdentity(rule, now)))),
    Promise.all(rules.map((rule) => loadCaFiles(`clientCertificates[${rule.index}].ca`, rule.ca))),
  ]);

  const problems: ConfigError[] = [];
  const take = <T>(outcome: Outcome<T>): T | undefined => {
    if (outcome.ok) return outcome.value;
    for (const { path, error } of outcome.problems) problems.push(new ConfigError(config.file, path, error.message, { cause: error }));
    return undefined;
  };
  const caPems = (outcomes: Array<Outcome<string[]>>): readonly string[] => Object.freeze(outcomes.flatMap((o) => take(o) ?? []));

  const upstreamCaPems = caPems(upstreamCa);
  const identityByRule = new Map<number, ClientIdentity>();
  const caByRule = new Map<number, readonly string[]>();
  const warnings: Array<{ path: string; message: string }> = [];
  rules.forEach((rule, i) => {
    const outcome = identities[i]!;
    const { passphraseFileProblem } = rule;
    if (passphraseFileProblem !== undefined) {
      problems.push(new ConfigError(config.file, `clientCertificates[${rule.index}].passphraseFile`, passphraseFileProblem));
    }
    // A key that cannot open without its passphrase says nothing the passphraseFile problem has not.
    const passphraseOnly = passphraseFileProblem !== undefined && !outcome.ok && outcome.problems.every((p) => p.path.endsWith('.passphrase'));
    const identity = passphraseOnly ? undefined : take(outcome);
    caByRule.set(rule.index, caPems(ruleCas[i]!));
    if (!identity) return;
    identityByRule.set(rule.index, identity);
    const path = `clientCertificates[${rule.index}].${rule.pfx === undefined ? 'cert' : 'pfx'}`;
    const keyPath = `clientCertificates[${rule.index}].${rule.pfx === undefined ? 'key' : 'pfx'}`;
    for (const message of identity.warnings) warnings.push({ path: message === identity.keyFileWarning ? keyPath : path, message });
    const { daysLeft, subject, validTo } = identity.summary;
    if (daysLeft >= 0 && daysLeft < config.warnExpiryDays) {
      warnings.push({ path, message: `the client certificate ${subject} expires ${expiresIn(daysLeft)}, on ${validTo}` });
    }
  });
  if (problems.length > 0) throw new ConfigErrors(problems);

  const byRule = <T>(map: Map<number, T>, ruleIndex: number): T => {
    const value = map.get(ruleIndex);
    if (value === undefined) throw new RangeError(`no clientCertificates rule has index ${ruleIndex}`);
    return value;
  };
  return Object.freeze({
    identity: (ruleIndex: number) => byRule(identityByRule, ruleIndex),
    upstreamCa: upstreamCaPems,
    ruleCa: (ruleIndex: number) => byRule(caByRule, ruleIndex),
    warnings: Object.freeze(warnings),
  });
}
