/** The command line: parses the arguments, runs the command, reports errors. */
import { readFileSync } from 'node:fs';
import { parseCli, type CliArgs } from './args.js';
import { caCommand } from './ca.js';
import { checkCommand } from './check.js';
import { reportError } from './errors.js';
import { matchCommand } from './match.js';
import { startCommand } from './start.js';
import { USAGE } from './usage.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
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
    case 'ca':
      return caCommand(args);
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
