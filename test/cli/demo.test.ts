/**
 * `mtls-proxy demo` through the built CLI: one request through the proxy to an upstream
 * that requires a client certificate, the fingerprint shown is the one the upstream saw,
 * and nothing is left behind in the working folder or the temp folder.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME, tempDir, type CliResult } from '../helpers/cli.js';
import { closedPort } from '../helpers/upstream.js';

let root: string;
let remove: () => void;

beforeAll(() => {
  ({ dir: root, remove } = tempDir('demo'));
});
afterAll(() => remove());

/** Runs `demo` in an empty working folder with TMPDIR set to another empty one. */
async function demo(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ result: CliResult; cwd: string; tmp: string }> {
  const cwd = path.join(root, `${name}-cwd`);
  const tmp = path.join(root, `${name}-tmp`);
  mkdirSync(cwd);
  mkdirSync(tmp);
  const result = await runCli(['demo', ...args], { cwd, env: { TMPDIR: tmp, ...env } });
  return { result, cwd, tmp };
}

const FINGERPRINT = '((?:[0-9A-F]{2}:){31}[0-9A-F]{2})';

describe('mtls-proxy demo', () => {
  it('shows the certificate presented and the same one seen by the upstream, then removes what it made', async () => {
    const { result, cwd, tmp } = await demo('ok');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');

    const presented = new RegExp(`^presented: +CN=demo-client fingerprint256 ${FINGERPRINT}$`, 'm').exec(result.stdout);
    const seen = new RegExp(`^upstream saw: +CN=demo-client fingerprint256 ${FINGERPRINT}$`, 'm').exec(result.stdout);
    expect(presented, result.stdout).not.toBeNull();
    expect(seen, result.stdout).not.toBeNull();
    expect(seen![1]).toBe(presented![1]);
    expect(result.stdout).toMatch(/^sent: +GET https:\/\/demo\.mtls-proxy\.test\/hello through the proxy/m);
    expect(result.stdout).toMatch(/^result: +200: the upstream received the client certificate the proxy presented$/m);

    // The folder it names was in TMPDIR, and is gone like everything else it made.
    expect(result.stdout).toContain(`removed:      ${tmp}${path.sep}mtls-proxy-demo-`);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('mints a new client certificate each run', async () => {
    const [a, b] = await Promise.all([demo('first'), demo('second')]);
    const fingerprint = (stdout: string): string | undefined => new RegExp(`^presented: .* ${FINGERPRINT}$`, 'm').exec(stdout)?.[1];
    expect(fingerprint(a.result.stdout)).toBeDefined();
    expect(fingerprint(a.result.stdout)).not.toBe(fingerprint(b.result.stdout));
  });

  it('talks to its own proxy whatever the proxy variables say (Node 24 follows them with NODE_USE_ENV_PROXY)', async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const env = { HTTP_PROXY: nowhere, HTTPS_PROXY: nowhere, http_proxy: nowhere, https_proxy: nowhere, NODE_USE_ENV_PROXY: '1' };
    const { result } = await demo('env-proxy', [], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^result: +200: /m);
  });

  it('fails with one error: line when it cannot make its folder', async () => {
    const result = await runCli(['demo'], { cwd: root, env: { TMPDIR: path.join(root, 'no-such-folder') } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `error: cannot make a temp folder in ${path.join(root, 'no-such-folder')}: it does not exist; set TMPDIR to a writable folder`,
    ]);
  });

  it('takes no config and no arguments', async () => {
    for (const args of [['-c', 'config.yaml'], ['extra']]) {
      const { result } = await demo(`usage-${args[0]!.replace(/\W/g, '')}`, args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^error: /);
    }
  });
});
