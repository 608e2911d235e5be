import { readCertificates } from './pem.js';

/** The PEM of each certificate in one CA file; a file without any is an error naming it. */
export async function loadCaFile(file: string): Promise<string[]> {
  return (await readCertificates(file)).map((cert) => cert.toString());
}

/** The PEM of each certificate in the files, in order. */
export async function loadCaBundle(paths: readonly string[]): Promise<string[]> {
  return (await Promise.all(paths.map(loadCaFile))).flat();
}
