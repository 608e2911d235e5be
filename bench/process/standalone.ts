/**
 * Peers written in TypeScript run as plain `node script.mjs`: a TS loader such
 * as tsx adds ~40 MiB of RSS and start-up CPU that would be charged to the peer.
 * They import only Node built-ins and packages, so transpiling alone suffices.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository, so that bare imports resolve from its node_modules.
const OUT_DIR = path.join(BENCH_DIR, 'results', '.scripts');

/** Transpiles bench/<relative>.ts to an .mjs file and returns its absolute path. */
export function standaloneScript(relative: string): string {
  const source = path.join(BENCH_DIR, relative);
  const output = ts.transpileModule(readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
    fileName: source,
  });
  mkdirSync(OUT_DIR, { recursive: true });
  const target = path.join(OUT_DIR, path.basename(relative).replace(/\.ts$/, '.mjs'));
  writeFileSync(target, output.outputText);
  return target;
}
