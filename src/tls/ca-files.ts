/** File handling the CA needs: writes that never leave half a file, and file errors in plain words. */
import { randomBytes } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function fileExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Readers see the old file or the new one, never a part; `mode` applies from the first byte. */
export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, data, { mode, flag: 'wx' });
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

const PLAIN_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
};

/** A file system error in plain words, without the stack or errno number. */
export function describeFileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const plain = code === undefined ? undefined : PLAIN_REASONS[code];
  return plain ?? (err instanceof Error ? err.message : String(err));
}
