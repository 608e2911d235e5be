import { appendFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileWatcher } from '../../src/reload/watcher.js';
import { tempDir } from '../helpers/cli.js';

const DEBOUNCE_MS = 20;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function watched(): { dir: string; watcher: FileWatcher; changes: () => number } {
  const { dir, remove } = tempDir('watcher');
  let changes = 0;
  const watcher = new FileWatcher({ debounceMs: DEBOUNCE_MS, onChange: () => changes++ });
  cleanups.push(() => watcher.close(), remove);
  return { dir, watcher, changes: () => changes };
}

describe('the file watcher', () => {
  it('does not read the watched files again for a log file written beside them', async () => {
    const { dir, watcher, changes } = watched();
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'listen:\n  port: 0\n');
    await watcher.watch([config]);
    await sleep(DEBOUNCE_MS * 10);
    const before = watcher.checks;
    for (let i = 0; i < 20; i++) {
      appendFileSync(path.join(dir, 'proxy.log'), `{"msg":"request","n":${i}}\n`);
      await sleep(5);
    }
    await sleep(DEBOUNCE_MS * 10);
    expect(watcher.checks).toBe(before);

    writeFileSync(config, 'listen:\n  port: 1\n');
    await vi.waitUntil(() => changes() === 1, { timeout: 5000, interval: 25 });
  });

  it('still follows a rename over the file and a Kubernetes ..data swap', async () => {
    const { dir, watcher, changes } = watched();
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'a: 1\n');
    mkdirSync(path.join(dir, '..v1'));
    writeFileSync(path.join(dir, '..v1', 'tls.crt'), 'one');
    symlinkSync('..v1', path.join(dir, '..data'));
    symlinkSync(path.join('..data', 'tls.crt'), path.join(dir, 'tls.crt'));
    await watcher.watch([config, path.join(dir, 'tls.crt')]);

    writeFileSync(path.join(dir, 'config.yaml.tmp'), 'a: 2\n');
    renameSync(path.join(dir, 'config.yaml.tmp'), config);
    await vi.waitUntil(() => changes() === 1, { timeout: 5000, interval: 25 });

    mkdirSync(path.join(dir, '..v2'));
    writeFileSync(path.join(dir, '..v2', 'tls.crt'), 'two');
    symlinkSync('..v2', path.join(dir, '..data_tmp'));
    renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    await vi.waitUntil(() => changes() === 2, { timeout: 5000, interval: 25 });
  });
});
