/**
 * Bundles the CLI that tsc compiled into dist/ (README, Design: "Build").
 *
 * node:http, node:fs and node:util reach the bundle through `require`, not an ES import:
 * Node builds a built-in's ES namespace by reading every export, and from Node 22 on,
 * node:http's `WebSocket` export loads Node's own copy of undici. `require` hands over
 * the module object, whose getters run only when used. The other built-ins keep their
 * imports, since esbuild's interop code for a CommonJS module costs memory at start.
 */
import { build } from 'esbuild';

const requireBuiltins = {
  name: 'require-builtins',
  setup(bundler) {
    bundler.onResolve({ filter: /^(node:)?(http|fs|util)$/ }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: args.path.replace(/^node:/, ''), namespace: 'require-builtin' }
        : undefined,
    );
    bundler.onLoad({ filter: /.*/, namespace: 'require-builtin' }, (args) => ({
      contents: `module.exports = require("node:${args.path}");`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['dist/cli.js'],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist',
  allowOverwrite: true,
  legalComments: 'none',
  sourcemap: true,
  sourcesContent: false,
  external: ['pino-pretty'],
  // ES module output has no `require` of its own: the bundled CommonJS packages and the built-ins above need one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [requireBuiltins],
  logLevel: 'warning',
});
