/**
 * Files that ship beside the code: the console's files and the scripts the proxy starts
 * in other processes. They are found from this module, which sits at the root of src/
 * and, once built, of dist/: the build bundles the CLI into files at the root of dist/,
 * so a module's own URL no longer tells where its folder is.
 */
export function packageFile(relativePath: string): URL {
  return new URL(relativePath, import.meta.url);
}
