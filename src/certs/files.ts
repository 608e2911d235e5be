import { open } from 'node:fs/promises';
import path from 'node:path';
import { CertificateError } from '../errors.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
};

/** Contents and permission bits from one open file, so the mode checked is the mode of the file read. */
export async function readFileWithMode(file: string): Promise<{ contents: Buffer; mode: number }> {
  const handle = await open(file, 'r');
  try {
    const { mode } = await handle.stat();
    return { contents: await handle.readFile(), mode: mode & 0o777 };
  } finally {
    await handle.close();
  }
}

/** The file's bytes and mode; a missing or unreadable file is ERR_CERT_FILE naming the file and why. */
export async function readMaterialWithMode(file: string): Promise<{ contents: Buffer; mode: number }> {
  try {
    return await readFileWithMode(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const reason = REASONS[code] ?? (code || String(err));
    throw new CertificateError('ERR_CERT_FILE', `cannot read ${file}: ${reason}`, { cause: err });
  }
}

/** The file's bytes, as readMaterialWithMode reads them. */
export async function readMaterial(file: string): Promise<Buffer> {
  return (await readMaterialWithMode(file)).contents;
}

/**
 * A private key others can read is a warning, not an error: Docker and Kubernetes mount
 * secrets read-only with modes such as 0444 and 0644, which the user cannot narrow.
 */
export function readableByOthersWarning(file: string, mode: number): string | null {
  if ((mode & 0o077) === 0 || process.platform === 'win32') return null;
  return `${file} can be read by other users (mode 0${mode.toString(8)}); fine for a read-only secret mount, otherwise run \`chmod 600 ${shellQuote(file)}\``;
}

/** A path as one shell word, so that commands we suggest can be pasted as they are. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Where a suggested conversion writes its result: next to the file, e.g. client-converted.p12. */
export function convertedPath(file: string, defaultExt: string): string {
  const { dir, name, ext } = path.parse(file);
  return path.join(dir, `${name}-converted${ext || defaultExt}`);
}
