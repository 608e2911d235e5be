import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createPacResolver } from 'pac-resolver';
import { QuickJS } from 'quickjs-wasi';

let wasm: Promise<Buffer> | undefined;

/** FindProxyForURL of a PAC file, run as a browser would: in a QuickJS sandbox of its own. */
export async function pacResolver(script: string): Promise<(url: string) => Promise<string>> {
  wasm ??= readFile(createRequire(import.meta.url).resolve('quickjs-wasi/quickjs.wasm'));
  const find = createPacResolver(await QuickJS.create(await wasm), script);
  return (url) => find(url);
}
