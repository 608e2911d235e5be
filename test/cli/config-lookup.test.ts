/** Which config file a command reads: -c, else $MTLS_PROXY_CONFIG, else ./config.yaml, else ./config.yml, else the defaults. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir } from '../helpers/cli.js';

let dir: string;
let remove: () => void;

/** Each file listens on its own port, so `check` shows which one was read. */
const files = { flag: 'flag.yaml', env: 'env.yaml', local: 'config.yaml' } as const;
const ports = { flag: 1111, env: 2222, local: 3333 } as const;

beforeAll(() => {
  ({ dir, remove } = tempDir('cli-lookup'));
  for (const key of ['flag', 'env', 'local'] as const) {
    writeFileSync(path.join(dir, files[key]), `listen:\n  port: ${ports[key]}\n`);
  }
  mkdirSync(path.join(dir, 'empty'));
});
afterAll(() => remove());

async function configRead(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const result = await runCli(['check', ...args], { cwd: options.cwd ?? dir, env: options.env ?? {} });
  expect(result.code).toBe(0);
  return result.stdout.split('\n').filter((line) => line.startsWith('config: ') || line.startsWith('listen: ')).join('\n');
}

describe('config file lookup', () => {
  it('-c FILE, relative to the working folder, wins over everything', async () => {
    expect(await configRead(['-c', files.flag], { env: { MTLS_PROXY_CONFIG: path.join(dir, files.env) } })).toBe(
      `config: ${path.join(dir, files.flag)}\nlisten: 127.0.0.1:${ports.flag}, intercept: matched`,
    );
  });

  it('--config is the long form of -c', async () => {
    expect(await configRead(['--config', files.flag])).toContain(`config: ${path.join(dir, files.flag)}`);
  });

  it('$MTLS_PROXY_CONFIG wins over ./config.yaml', async () => {
    expect(await configRead([], { env: { MTLS_PROXY_CONFIG: files.env } })).toBe(
      `config: ${path.join(dir, files.env)}\nlisten: 127.0.0.1:${ports.env}, intercept: matched`,
    );
  });

  it('./config.yaml in the working folder', async () => {
    expect(await configRead([])).toBe(`config: ${path.join(dir, files.local)}\nlisten: 127.0.0.1:${ports.local}, intercept: matched`);
  });

  it('the built-in defaults when there is no file', async () => {
    expect(await configRead([], { cwd: path.join(dir, 'empty') })).toBe('config: built-in defaults\nlisten: 127.0.0.1:8080, intercept: matched');
  });

  it('relative paths in the file are relative to its folder, not the working folder', async () => {
    mkdirSync(path.join(dir, 'nested'), { recursive: true });
    writeFileSync(path.join(dir, 'nested', 'config.yaml'), 'ca:\n  dir: ./my-ca\n');
    const result = await runCli(['check', '-c', '../nested/config.yaml'], { cwd: path.join(dir, 'empty'), env: {} });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`created in ${path.join(dir, 'nested', 'my-ca')} on first start`);
  });
});

describe('config.yml', () => {
  it('is read when there is no config.yaml, and start names the file it read', async () => {
    const { dir: home, remove: removeHome } = tempDir('cli-lookup-yml');
    try {
      writeFileSync(path.join(home, 'config.yml'), 'listen:\n  port: 4444\n');
      expect(await configRead([], { cwd: home })).toBe(`config: ${path.join(home, 'config.yml')}\nlisten: 127.0.0.1:4444, intercept: matched`);

      const cli = startCli(['start', '--port', '0'], { cwd: home });
      try {
        expect((await cli.waitForLog('listening')).config).toBe(path.join(home, 'config.yml'));
      } finally {
        cli.child.kill('SIGTERM');
        await cli.exited;
      }
    } finally {
      removeHome();
    }
  });

  it('is left aside, with a warning, when config.yaml sits beside it', async () => {
    const { dir: home, remove: removeHome } = tempDir('cli-lookup-both');
    try {
      writeFileSync(path.join(home, 'config.yaml'), 'listen:\n  port: 5555\n');
      writeFileSync(path.join(home, 'config.yml'), 'listen:\n  port: 6666\n');
      const warning = `${path.join(home, 'config.yml')} is not read: ${path.join(home, 'config.yaml')} beside it is; merge the two into config.yaml and remove config.yml`;
      const result = await runCli(['check'], { cwd: home, env: {} });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`config: ${path.join(home, 'config.yaml')}\nlisten: 127.0.0.1:5555`);
      expect(result.stderr).toBe(`warning: ${warning}\n`);

      const cli = startCli(['start', '--port', '0'], { cwd: home });
      try {
        await cli.waitForLog('listening');
        expect(cli.lines.find((line) => line.msg === warning)).toMatchObject({ level: 40 });
      } finally {
        cli.child.kill('SIGTERM');
        await cli.exited;
      }
    } finally {
      removeHome();
    }
  });
});
