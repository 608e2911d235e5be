import type { Config } from '../config/types.js';
import { configErrorsOf } from '../errors.js';
import type { Proxy } from '../proxy/start.js';
import { watchedFiles } from './files.js';
import { rebuildContext } from './rebuild.js';
import { swapContext } from './swap.js';
import { FileWatcher } from './watcher.js';

export interface ReloadOptions {
  /** Reads the config as start did: the same file, environment and command-line overrides. */
  readonly load: () => Promise<Config>;
}

/** Quiet time after a file event before the files are compared: editors and renewers write in a few steps. */
const DEBOUNCE_MS = 250;

export interface Reloader {
  /** Resolves once the files are watched. */
  readonly ready: Promise<void>;
  /** Loads the config and every file it names again; resolves once applied or refused. */
  reload(): Promise<void>;
  close(): void;
}

/** The words `mtls-proxy check` prints for the same problem: one `<file>: <path>: <reason>` a line. */
function describeFailure(err: unknown): string {
  const problems = configErrorsOf(err);
  if (problems.length > 0) return problems.map((e) => e.message).join('\n');
  return err instanceof Error ? err.message : String(err);
}

/**
 * Watch files -> build a new context -> swap. Reloads run one at a time; a change
 * seen during one runs another after it. A config that fails to load leaves the
 * running one in place.
 */
export function startReloading(proxy: Proxy, options: ReloadOptions): Reloader {
  const watcher = new FileWatcher({ debounceMs: DEBOUNCE_MS, onChange: () => void reload() });
  let running: Promise<void> | null = null;
  let again = false;

  const reloadOnce = async (): Promise<void> => {
    const previous = proxy.context;
    try {
      const next = await rebuildContext(previous, await options.load());
      swapContext(proxy, next);
    } catch (err) {
      previous.logger.error({ error: describeFailure(err) }, 'config reload failed');
    }
    // The new config may name other files; a failed one still watches the old config's.
    await watcher.watch(watchedFiles(proxy.context.config));
  };

  const reload = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await reloadOnce();
      } while (again);
      running = null;
    })();
    return running;
  };

  return { ready: watcher.watch(watchedFiles(proxy.context.config)), reload, close: () => watcher.close() };
}
