#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseCli, type CliArgs } from './cli/args.js';
import { caCommand } from './cli/ca.js';
import { checkCommand } from './cli/check.js';
import { demoCommand } from './cli/demo.js';
import { envCommand } from './cli/env.js';
import { reportError } from './cli/errors.js';
import { matchCommand } from './cli/match.js';
import { probeCommand } from './cli/probe.js';
import { runCommand } from './cli/run.js';
import { startCommand } from './cli/start.js';
import { trustCommand } from './cli/trust.js';
import { USAGE } from './cli/usage.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function run(args: CliArgs): Promise<number> {
  switch (args.command) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`${version()}\n`);
      return 0;
    case 'start':
      return startCommand(args);
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

const argv = process.argv.slice(2);
let debug = argv.includes('--debug');
try {
  const args = parseCli(argv);
  debug = args.debug;
  process.exitCode = await run(args);
} catch (err) {
  process.exitCode = reportError(err, debug);
}
