import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'ca/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The console's script runs in the browser.
    files: ['src/admin/console/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', EventSource: 'readonly', fetch: 'readonly' } },
  },
  {
    // The CLI and the test/bench harnesses talk to a terminal on purpose.
    files: ['src/cli.ts', 'src/cli/**', 'test/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
