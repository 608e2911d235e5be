import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';

export interface WatcherOptions {
  /** Quiet time after the last event before the files are read. */
  readonly debounceMs: number;
  /** Called when the content of a watched file changed (or it appeared or went). */
  readonly onChange: () => void;
}

/** The longest a stream of events (a log file in the same folder, say) may put off a check. */
const MAX_DELAY_FACTOR = 4;

async function contentHash(file: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('base64');
  } catch (err) {
    return `unreadable: ${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** The folder holding `file` and, when it is a link, the folder of what it points to. */
async function foldersOf(file: string): Promise<string[]> {
  const folders = [path.dirname(file)];
  const real = await realpath(file).catch(() => file);
  if (real !== file) folders.push(path.dirname(real));
  return folders;
}

/**
 * Watches files by their content, through their folders: a file replaced by a rename
 * (editors, certbot), or reached through a link swapped to a new folder (a Kubernetes
 * secret volume's `..data`), leaves an inode watch behind but not a folder watch.
 * After events settle, each file is hashed; onChange runs when any hash differs.
 */
export class FileWatcher {
  readonly #options: WatcherOptions;
  readonly #hashes = new Map<string, string>();
  readonly #folders = new Map<string, FSWatcher>();
  #timer: NodeJS.Timeout | undefined;
  #firstEventAt = 0;
  #checking: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: WatcherOptions) {
    this.#options = options;
  }

  /**
   * Watches exactly `files` from now on. A file already watched keeps the content it
   * was last seen with, so a change made while a reload was loading is not missed.
   */
  async watch(files: readonly string[]): Promise<void> {
    const wanted = new Set(files);
    for (const file of this.#hashes.keys()) if (!wanted.has(file)) this.#hashes.delete(file);
    for (const file of wanted) if (!this.#hashes.has(file)) this.#hashes.set(file, await contentHash(file));
    await this.#watchFolders();
    // Whatever changed since those files were last seen is reported now.
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#folders.values()) watcher.close();
    this.#folders.clear();
  }

  async #watchFolders(): Promise<void> {
    const folders = new Set((await Promise.all([...this.#hashes.keys()].map(foldersOf))).flat());
    if (this.#closed) return;
    for (const [folder, watcher] of this.#folders) {
      if (folders.has(folder)) continue;
      watcher.close();
      this.#folders.delete(folder);
    }
    for (const folder of folders) {
      if (this.#folders.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, () => this.#schedule());
        // A folder that goes away is watched again at the next check, if it comes back.
        watcher.on('error', () => {
          watcher.close();
          if (this.#folders.get(folder) === watcher) this.#folders.delete(folder);
        });
        this.#folders.set(folder, watcher);
      } catch {
        // Missing or unreadable now: the file's hash says so, and a later check retries.
      }
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    const now = performance.now();
    if (this.#timer === undefined) this.#firstEventAt = now;
    clearTimeout(this.#timer);
    const { debounceMs } = this.#options;
    const delay = Math.max(0, Math.min(debounceMs, this.#firstEventAt + debounceMs * MAX_DELAY_FACTOR - now));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // One check at a time, so two of them never report the same change twice.
      this.#checking = this.#checking.then(() => this.#check());
    }, delay);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    if (this.#closed) return;
    let changed = false;
    for (const [file, before] of this.#hashes) {
      const now = await contentHash(file);
      if (now === before) continue;
      this.#hashes.set(file, now);
      changed = true;
    }
    // A link may now point into another folder (the next `..data`).
    await this.#watchFolders();
    if (changed && !this.#closed) this.#options.onChange();
  }
}
