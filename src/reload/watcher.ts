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

/** The longest a stream of events (a file written in many pieces, say) may put off a check. */
const MAX_DELAY_FACTOR = 4;

async function contentHash(file: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('base64');
  } catch (err) {
    return `unreadable: ${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** Where `file` can change: its own path and, when it is a link, the path of what it points to. */
async function pathsOf(file: string): Promise<string[]> {
  const real = await realpath(file).catch(() => file);
  return real === file ? [file] : [file, real];
}

/**
 * Whether an event for `name` in a watched folder may concern a watched file: one of
 * their names, a Kubernetes volume's `..data` link or `..<time>` folders, or an event
 * that names nothing. Anything else (a log file written beside the config) is ignored,
 * or every line it gets would have the watched files read again.
 */
function concerns(name: string | null, names: ReadonlySet<string> | undefined): boolean {
  return name === null || name.startsWith('..') || names?.has(name) === true;
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
  /** Per watched folder, the names in it that are watched files or links to them. */
  readonly #names = new Map<string, Set<string>>();
  #timer: NodeJS.Timeout | undefined;
  #firstEventAt = 0;
  #checking: Promise<void> = Promise.resolve();
  #closed = false;
  #checks = 0;

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

  /** How many times the files were read after events: a log written beside them must not add to it. */
  get checks(): number {
    return this.#checks;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#folders.values()) watcher.close();
    this.#folders.clear();
  }

  async #watchFolders(): Promise<void> {
    const paths = (await Promise.all([...this.#hashes.keys()].map(pathsOf))).flat();
    if (this.#closed) return;
    this.#names.clear();
    for (const file of paths) {
      const folder = path.dirname(file);
      let names = this.#names.get(folder);
      if (!names) this.#names.set(folder, (names = new Set()));
      names.add(path.basename(file));
    }
    for (const [folder, watcher] of this.#folders) {
      if (this.#names.has(folder)) continue;
      watcher.close();
      this.#folders.delete(folder);
    }
    for (const folder of this.#names.keys()) {
      if (this.#folders.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, (_event, name) => {
          if (concerns(name, this.#names.get(folder))) this.#schedule();
        });
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
    this.#checks++;
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
