import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configuredUpstream, type ConfiguredUpstream } from '../clients/fixtures.js';
import { HOSTILE } from '../clients/hostile.js';
import { CLI_PATH, runCli, startCli, tempDir } from '../helpers/cli.js';
import { closedPort } from '../helpers/upstream.js';

const exec = promisify(execFile);
const PASSWORD = "p'a$s:w@rd \"$(id)\"";

/** `mtls-proxy env` evaluated by bash, then `command` run in that shell; the environment starts empty but for PATH. */
function inEvaluatedShell(envArgs: string, command: string, cwd: string, extra: Record<string, string> = {}) {
  const cli = `'${process.execPath}' '${CLI_PATH}'`;
  return exec('bash', ['-c', `set -e; vars=$(${cli} env ${envArgs}); eval "$vars"; ${command}`], {
    cwd,
    env: { PATH: process.env.PATH ?? '', PROXY_PASSWORD: PASSWORD, ...extra },
  });
}

describe('env, printed and evaluated', () => {
  const { dir, remove } = tempDir('env-cli');
  // A CA folder whose name needs quoting in every shell.
  const caDir = `ca dir '$HOME' "q" \`x\``;
  const config = path.join(dir, 'config.yaml');
  afterAll(remove);

  beforeAll(() => {
    writeFileSync(
      config,
      `listen:\n  host: 0.0.0.0\n  port: 8123\n  auth: { username: "me@corp", password: "\${PROXY_PASSWORD}" }\nca:\n  dir: ${JSON.stringify(`./${caDir}`)}\n`,
    );
  });

  it('prints only assignments, one a line, and creates the CA', async () => {
    const result = await runCli(['env', '-c', config], { cwd: dir, env: { PROXY_PASSWORD: PASSWORD } });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    for (const line of lines) expect(line).toMatch(/^export [A-Za-z_]+='/);
    expect(readFileSync(path.join(dir, caDir, 'ca.crt'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('bash gets the contract values, every path absolute, the credentials percent-encoded', async () => {
    const names = ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS', 'NODE_USE_ENV_PROXY', 'NODE_OPTIONS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'];
    const { stdout } = await inEvaluatedShell(`-c '${config}'`, `printf '%s\\0' ${names.map((n) => `"$${n}"`).join(' ')}`, dir, { NODE_OPTIONS: '--max-old-space-size=256' });
    const values = Object.fromEntries(stdout.split('\0').slice(0, -1).map((value, i) => [names[i]!, value]));
    const url = `http://me%40corp:${encodeURIComponent(PASSWORD).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}@127.0.0.1:8123`;
    const bundle = path.join(dir, caDir, 'bundle.pem');
    expect(values).toEqual({
      HTTPS_PROXY: url,
      HTTP_PROXY: url,
      https_proxy: url,
      http_proxy: url,
      NO_PROXY: 'localhost,127.0.0.1,::1',
      no_proxy: 'localhost,127.0.0.1,::1',
      NODE_EXTRA_CA_CERTS: path.join(dir, caDir, 'ca.crt'),
      NODE_USE_ENV_PROXY: '1',
      NODE_OPTIONS: `--max-old-space-size=256 --require ${path.resolve(CLI_PATH, '../clients/preload.cjs')}`,
      SSL_CERT_FILE: bundle,
      REQUESTS_CA_BUNDLE: bundle,
      CURL_CA_BUNDLE: bundle,
    });
    expect(decodeURIComponent(new URL(url).password)).toBe(PASSWORD);
    const pem = readFileSync(bundle, 'utf8');
    expect(pem.endsWith(readFileSync(path.join(dir, caDir, 'ca.crt'), 'utf8'))).toBe(true);
    expect(pem.match(/BEGIN CERTIFICATE/g)!.length).toBeGreaterThan(10);
  });

  it('evaluated twice, NODE_OPTIONS holds the preload once', async () => {
    const cli = `'${process.execPath}' '${CLI_PATH}'`;
    const { stdout } = await inEvaluatedShell(`-c '${config}'`, `eval "$(${cli} env -c '${config}')"; printf '%s' "$NODE_OPTIONS"`, dir);
    expect(stdout.match(/--require/g)).toHaveLength(1);
  });

  it('fish gets the same values as bash', async () => {
    const names = ['HTTPS_PROXY', 'NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'SSL_CERT_FILE'];
    const printAll = names.map((n) => `"$${n}"`).join(' ');
    const bash = await inEvaluatedShell(`-c '${config}'`, `printf '%s\\0' ${printAll}`, dir);
    const fish = await exec('fish', ['--no-config', '-c', `'${process.execPath}' '${CLI_PATH}' env --shell fish -c '${config}' | source; printf '%s\\0' ${printAll}`], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', PROXY_PASSWORD: PASSWORD },
    });
    expect(fish.stdout).toBe(bash.stdout);
  });

  it('powershell assignments are single-quoted literals, one a line', async () => {
    const result = await runCli(['env', '--shell', 'powershell', '-c', config], { cwd: dir, env: { PROXY_PASSWORD: PASSWORD } });
    expect(result.code).toBe(0);
    for (const line of result.stdout.trimEnd().split('\n')) expect(line).toMatch(/^\$env:[A-Za-z_]+ = '([^'\u2018-\u201b]|['\u2018-\u201b]{2})*'$/);
    expect(result.stdout).toContain(`$env:NODE_EXTRA_CA_CERTS = '${path.join(dir, caDir, 'ca.crt').replaceAll("'", "''")}'`);
  });

  it('a config listening on port 0 is an error naming listen.port, with nothing printed', async () => {
    const zero = path.join(dir, 'zero.yaml');
    writeFileSync(zero, 'listen:\n  port: 0\n');
    const result = await runCli(['env', '-c', zero], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: ${zero}: listen.port: is 0 (any free port), so no program can be pointed at it; set a fixed port, or use mtls-proxy run -- COMMAND\n`);
  });

  it('an unknown --shell is a usage error', async () => {
    const result = await runCli(['env', '--shell', 'zsh', '-c', config], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --shell must be one of sh, fish, powershell, got "zsh"$/m);
  });

  it('quoting holds for every hostile value as a password', async () => {
    for (const value of HOSTILE.filter((v) => v !== '')) {
      const { stdout } = await inEvaluatedShell(`-c '${config}'`, `printf '%s' "$HTTPS_PROXY"`, dir, { PROXY_PASSWORD: value });
      expect(decodeURIComponent(new URL(stdout).password)).toBe(value);
    }
  });
});

describe('curl with the evaluated variables, through a real proxy', () => {
  let setup: ConfiguredUpstream;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const port = await closedPort();
    setup = await configuredUpstream();
    const text = readFileSync(setup.config, 'utf8').replace('port: 0', `port: ${port}\n  auth: { username: me, password: "\${PROXY_PASSWORD}" }`);
    writeFileSync(setup.config, text);
    // Started the way a user would, from a shell that evaluated `env`: the preload must leave the proxy alone.
    const cli = `'${process.execPath}' '${CLI_PATH}'`;
    const child = spawn('bash', ['-c', `vars=$(${cli} env -c '${setup.config}'); eval "$vars"; exec ${cli} start -c '${setup.config}'`], {
      cwd: setup.dir,
      env: { PATH: process.env.PATH ?? '', PROXY_PASSWORD: PASSWORD },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('close', resolve));
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('"msg":"listening"')) resolve();
      });
      child.once('close', () => reject(new Error(`the proxy ended before listening: ${stdout}`)));
    });
    stop = async () => {
      child.kill('SIGTERM');
      await exited;
    };
  });
  afterAll(async () => {
    await stop?.();
    await setup?.close();
  });

  it("curl with no option but the URL gets the upstream's answer, from a proxy itself started in such a shell, with the rule's certificate", async () => {
    const { stdout } = await inEvaluatedShell(`-c '${setup.config}'`, 'curl -sS --fail https://api.example.com/from-shell', setup.dir);
    expect(JSON.parse(stdout)).toMatchObject({ url: '/from-shell', clientCert: setup.pki.alice.fingerprint256 });
  });
});

describe('bundle.pem after the CA changes', () => {
  const { dir, remove } = tempDir('env-bundle');
  afterAll(remove);

  it('start rewrites the bundle env wrote, so it trusts a CA made anew since', async () => {
    // env needs a real port to print; start is told to take any free one.
    writeFileSync(path.join(dir, 'config.yaml'), 'listen:\n  host: 127.0.0.1\n  port: 8123\nca:\n  dir: ./ca\n');
    const env = await runCli(['env'], { cwd: dir });
    expect(env.code).toBe(0);
    const bundle = path.join(dir, 'ca', 'bundle.pem');
    const firstCa = readFileSync(path.join(dir, 'ca', 'ca.crt'), 'utf8');
    expect(readFileSync(bundle, 'utf8').endsWith(firstCa)).toBe(true);

    // The CA folder emptied but for the bundle: start makes a new CA.
    rmSync(path.join(dir, 'ca', 'ca.crt'));
    rmSync(path.join(dir, 'ca', 'ca.key'));
    const proxy = startCli(['start', '--port', '0'], { cwd: dir });
    try {
      await proxy.waitForLog('listening');
    } finally {
      proxy.child.kill('SIGTERM');
      await proxy.exited;
    }
    const secondCa = readFileSync(path.join(dir, 'ca', 'ca.crt'), 'utf8');
    expect(secondCa).not.toBe(firstCa);
    const text = readFileSync(bundle, 'utf8');
    expect(text.endsWith(secondCa)).toBe(true);
    expect(text).not.toContain(firstCa);
  });
});
