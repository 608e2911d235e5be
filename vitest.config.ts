import { defineConfig } from 'vitest/config';

export default defineConfig({
  // src/clients/*.cts (CommonJS, for node --require) are TypeScript too.
  oxc: { include: /\.(m|c)?tsx?$/ },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
