#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseCli, type CliArgs } from './cli/args.js';
import { reportError } from './cli/errors.js';
import { USAGE } from './cli/usage.js';
import { packageFile } from './package-files.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(packageFile('../package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

// start is loaded alone, the other commands together when one of them runs: `start`
// stays free of what only other commands use (the config parser and validator run in a
// child process), which is resident memory.
async function run(args: CliArgs): Promise<number> {
  switch (args.command) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`${version()}\n`);
      return 0;
    case 'start':
      return (await import('./cli/start.js')).startCommand(args);
    default:
      return (await import('./cli/commands.js')).otherCommand(args.command, args);
  }
}

const argv = process.argv.slice(2);
let debug = argv.includes('--debug');
try {
  const args = parseCli(argv);
  debug = args.debug;
  process.exitCode = await run(args);
} catch (err) {
  process.exitCode = reportError(err, debug);
}
