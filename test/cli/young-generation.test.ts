import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('../../dist/cli/young-generation.js', import.meta.url));

/** New space capacity, in MiB, after an allocation-heavy loop in a fresh Node process. */
function newSpaceAfterLoad(keepSmall: boolean): number {
  const script = `
    import v8 from 'node:v8';
    import { keepYoungGenerationSmall } from ${JSON.stringify(MODULE)};
    if (${keepSmall}) keepYoungGenerationSmall();
    const alive = [];
    for (let i = 0; i < 2e6; i++) {
      const item = { i, text: 'x' + i, list: [i] };
      if (i % 10 === 0) alive.push(item);
      if (alive.length > 50000) alive.length = 0;
    }
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(space.space_size / 1048576);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return Number(run.stdout.trim());
}

describe('keepYoungGenerationSmall', () => {
  it('holds the new space at its initial size under load, where V8 would otherwise grow it', () => {
    expect(newSpaceAfterLoad(false)).toBeGreaterThan(2);
    expect(newSpaceAfterLoad(true)).toBeLessThanOrEqual(2);
  });
});
