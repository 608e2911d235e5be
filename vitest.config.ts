import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // src/clients/*.cts (CommonJS, for node --require) are TypeScript too.
  oxc: { include: /\.(m|c)?tsx?$/ },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most tests wait on child processes and sockets rather than compute: vitest's
    // default of one worker fewer than the cores ran the suite one file at a time on
    // two cores (about 350 s on Node 20, 215 s with two workers).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
