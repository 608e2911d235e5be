import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CertificateError } from '../errors.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
};

/** The file's bytes; a missing or unreadable file is ERR_CERT_FILE naming the file and why. */
export async function readMaterial(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const reason = REASONS[code] ?? (code || String(err));
    throw new CertificateError('ERR_CERT_FILE', `cannot read ${file}: ${reason}`, { cause: err });
  }
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
