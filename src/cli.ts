#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseCli, type CliArgs } from './cli/args.js';
import { reportError } from './cli/errors.js';
import { USAGE } from './cli/usage.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

// Each command is loaded when it runs: `start` stays free of what only other commands
// use (the config parser and validator run in a child process), which is resident memory.
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
    case 'check':
      return (await import('./cli/check.js')).checkCommand(args);
    case 'match':
      return (await import('./cli/match.js')).matchCommand(args);
    case 'probe':
      return (await import('./cli/probe.js')).probeCommand(args);
    case 'ca':
      return (await import('./cli/ca.js')).caCommand(args);
    case 'demo':
      return (await import('./cli/demo.js')).demoCommand();
    case 'env':
      return (await import('./cli/env.js')).envCommand(args);
    case 'run':
      return (await import('./cli/run.js')).runCommand(args);
    case 'trust':
    case 'untrust':
      return (await import('./cli/trust.js')).trustCommand(args);
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
