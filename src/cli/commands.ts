/**
 * Every command but start, loaded together when one of them runs (see cli.ts): a
 * command line runs once, so loading the others' code with it costs little, and the
 * build then splits the code in a few files rather than one per set of commands
 * sharing a module.
 */
import type { CliArgs } from './args.js';
import { caCommand } from './ca.js';
import { checkCommand } from './check.js';
import { demoCommand } from './demo.js';
import { envCommand } from './env.js';
import { matchCommand } from './match.js';
import { probeCommand } from './probe.js';
import { runCommand } from './run.js';
import { trustCommand } from './trust.js';

export type OtherCommand = Exclude<CliArgs['command'], 'start' | 'help' | 'version'>;

export function otherCommand(command: OtherCommand, args: CliArgs): Promise<number> {
  switch (command) {
    case 'check':
      return checkCommand(args);
    case 'match':
      return matchCommand(args);
    case 'probe':
      return probeCommand(args);
    case 'ca':
      return caCommand(args);
    case 'demo':
      return demoCommand();
    case 'env':
      return envCommand(args);
    case 'run':
      return runCommand(args);
    case 'trust':
    case 'untrust':
      return trustCommand(args);
  }
}
