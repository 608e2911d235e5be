import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli, tempDir, type RunningCli } from '../helpers/cli.js';
import { makeCa, writeFiles } from '../helpers/pki.js';

const { dir, remove } = tempDir('reload-sighup');
let cli: RunningCli | undefined;
afterAll(() => {
  // A failed assertion must not leave a proxy running.
  cli?.child.kill('SIGKILL');
  remove();
});

/** On a new connection each time: an open one keeps the config it started with. */
async function caServedBy(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/ca.crt`, { headers: { connection: 'close' } })).text();
}

describe('mtls-proxy start, on SIGHUP', () => {
  it('reloads the config and its files, with the command line\'s overrides, and keeps running', async () => {
    // The generated CA is not watched (it is the proxy's own), so only SIGHUP can make the proxy read it again.
    writeFileSync(path.join(dir, 'config.yaml'), 'listen:\n  port: 8080\nca:\n  dir: ./ca\n');
    cli = startCli(['start', '--port', '0'], { cwd: dir });
    const { port } = await cli.waitForLog('listening');
    const before = await caServedBy(port as number);

    const replacement = makeCa('Replacement CA');
    writeFiles(path.join(dir, 'ca'), { 'ca.crt': replacement.certPem, 'ca.key': replacement.keyPem });
    cli.child.kill('SIGHUP');
    expect(await cli.waitForLog('config reloaded')).toMatchObject({ level: 30 });
    const after = await caServedBy(port as number);
    expect(after).not.toBe(before);
    expect(after.trim()).toBe(replacement.certPem.trim());
    // --port 0 still wins over the file's 8080: nothing calls for a restart.
    expect(cli.lines.filter((line) => line.level >= 40 && String(line.msg).includes('restart'))).toEqual([]);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.lines.filter((line) => line.msg === 'config reload failed')).toEqual([]);
  });
});
