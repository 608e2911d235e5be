/**
 * A trust store the proxy's CA can be added to and removed from, and the one
 * runner that applies `trust` or `untrust` to any of them: find the tool, look
 * before changing (so a second run changes nothing), then run the commands or,
 * with --dry-run, only print them.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';

export interface StoreCommand {
  readonly argv: readonly string[];
  /** Variables the command reads (a keystore password, never on the command line). */
  readonly env?: Readonly<Record<string, string>>;
}

/** The proxy's CA as every store needs it. */
export interface TrustedCa {
  readonly certPath: string;
  readonly certPem: string;
  /** Node's form: uppercase hex pairs joined by colons. */
  readonly fingerprint256: string;
  readonly fingerprint1: string;
  /** The first 16 hex digits of fingerprint256, for file names, nicknames and aliases. */
  readonly short: string;
}

export interface TrustStore {
  /** How the store is named on its output line, e.g. `nss sql:/home/me/.pki/nssdb`. */
  readonly name: string;
  /** The program the commands need, and the Debian package that has it. */
  readonly tool: { readonly command: string; readonly package: string };
  isTrusted(): Promise<boolean>;
  trustCommands(): StoreCommand[];
  untrustCommands(): StoreCommand[];
}

export type TrustAction = 'trust' | 'untrust';

export interface StoreOutcome {
  readonly ok: boolean;
  /** stdout on success, an `error:` line on stderr otherwise. */
  readonly line: string;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; never rejects for a non-zero exit. */
export function runCommand(command: StoreCommand): Promise<CommandResult> {
  const [file, ...args] = command.argv as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...command.env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 127;
      resolve({ code, stdout, stderr: stderr || (err?.message ?? '') });
    });
  });
}

/** The absolute path of `command` on PATH, or null. */
export async function onPath(command: string, searchPath = process.env.PATH ?? ''): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return null;
}

/** A command as one would type it: words with anything special single-quoted. */
export function commandLine(argv: readonly string[]): string {
  return argv.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** Adds or removes the CA in one store, reporting one line. */
export async function applyToStore(store: TrustStore, action: TrustAction, dryRun: boolean): Promise<StoreOutcome> {
  if ((await onPath(store.tool.command)) === null) {
    return { ok: false, line: `error: ${store.name}: ${store.tool.command} is not installed; install ${store.tool.package}` };
  }
  const trusted = await store.isTrusted();
  if (action === 'trust' && trusted) return { ok: true, line: `${store.name}: already trusted` };
  if (action === 'untrust' && !trusted) return { ok: true, line: `${store.name}: not trusted, nothing to remove` };
  const commands = action === 'trust' ? store.trustCommands() : store.untrustCommands();
  if (dryRun) return { ok: true, line: `${store.name}: would run: ${commands.map((c) => commandLine(c.argv)).join(' && ')}` };
  for (const command of commands) {
    const result = await runCommand(command);
    if (result.code !== 0) {
      return { ok: false, line: `error: ${store.name}: ${commandLine(command.argv)} failed: ${firstLine(result.stderr) || `exit code ${result.code}`}` };
    }
  }
  return { ok: true, line: `${store.name}: ${action === 'trust' ? 'trusted' : 'removed'}` };
}
