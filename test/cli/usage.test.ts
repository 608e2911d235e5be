import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME, tempDir, type CliResult } from '../helpers/cli.js';

let dir: string;
let remove: () => void;

beforeAll(() => {
  ({ dir, remove } = tempDir('cli-usage'));
});
afterAll(() => remove());

const run = (...args: string[]): Promise<CliResult> => runCli(args, { cwd: dir });

function expectUsageError(result: CliResult, message: string): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(`error: ${message}\nRun "mtls-proxy --help" for usage.\n`);
  expect(result.stderr).not.toMatch(STACK_FRAME);
}

describe('--help and --version', () => {
  it('--help lists every command and option and exits 0', async () => {
    for (const args of [['--help'], ['-h'], ['help'], []]) {
      const result = await run(...args);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      for (const word of ['mtls-proxy start', 'mtls-proxy check', 'mtls-proxy match  HOST[:PORT] | URL', 'mtls-proxy ca', 'mtls-proxy env', 'mtls-proxy run', 'mtls-proxy trust', 'mtls-proxy untrust', '--shell', '--nss DIR', '--dry-run', '--version', '-c, --config FILE', '$MTLS_PROXY_CONFIG', './config.yaml', './config.yml', '--der', '--out FILE', '--debug', 'Exit codes']) {
        expect(result.stdout).toContain(word);
      }
    }
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await run('--version');
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('usage errors exit 2 and say what is wrong', () => {
  it('an unknown command, with the nearest one suggested', async () => {
    expectUsageError(await run('chek'), 'unknown command "chek"; did you mean "check"?');
    expectUsageError(await run('frobnicate'), 'unknown command "frobnicate"; the commands are start, check, match, probe, ca, demo, env, run, trust, untrust');
  });

  it('an unknown option, with the nearest one suggested', async () => {
    expectUsageError(await run('check', '--conifg', 'x.yaml'), 'unknown option --conifg; did you mean --config?');
    expectUsageError(await run('check', '--zzz'), 'unknown option --zzz');
  });

  it('an option without its value, or with one it does not take', async () => {
    expectUsageError(await run('check', '-c'), '-c, --config needs a value');
    expectUsageError(await run('ca', '--der=yes'), '--der takes no value');
  });

  it('an option of another command', async () => {
    expectUsageError(await run('check', '--port', '1'), 'the option --port does not apply to "check"');
    expectUsageError(await run('match', 'a.example.com', '--der'), 'the option --der does not apply to "match"');
    expectUsageError(await run('env', '--nss', 'x'), 'the option --nss does not apply to "env"');
    expectUsageError(await run('trust', '--shell', 'fish'), 'the option --shell does not apply to "trust"');
  });

  it('bad option values', async () => {
    expectUsageError(await run('start', '--port', 'http'), '--port must be a number from 0 to 65535, got "http"');
    expectUsageError(await run('start', '--port', '70000'), '--port must be a number from 0 to 65535, got "70000"');
    expectUsageError(await run('start', '--log-level', 'loud'), '--log-level must be one of trace, debug, info, warn, error, got "loud"');
    expectUsageError(await run('start', '--log-format', 'xml'), '--log-format must be one of json, pretty, got "xml"');
  });

  it('the wrong number of arguments', async () => {
    expectUsageError(await run('match'), 'match takes one HOST[:PORT] or URL');
    expectUsageError(await run('match', 'a.example.com', 'b.example.com'), 'match takes one HOST[:PORT] or URL');
    expectUsageError(await run('probe'), 'probe takes one HOST[:PORT] or URL');
    expectUsageError(await run('check', 'config.yaml'), '"check" takes no arguments, got "config.yaml"');
    expectUsageError(await run('run'), 'run needs a command: mtls-proxy run -- COMMAND [ARGS...]');
    expectUsageError(await run('run', '--'), 'run needs a command: mtls-proxy run -- COMMAND [ARGS...]');
    expectUsageError(await run('env', '--', 'x'), '"env" takes no arguments, got "x"');
  });
});
