import type { Config } from '../config/types.js';
import { configErrorsOf } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Proxy } from '../proxy/start.js';
import { watchedFiles } from './files.js';
import { rebuildContext } from './rebuild.js';
import { announceReload, swapContext } from './swap.js';
import { FileWatcher } from './watcher.js';

export interface ReloadOptions {
  /** Reads the config as start did: the same file, environment and command-line overrides. */
  readonly load: () => Promise<Config>;
}

/** What a reload applies a config to: one proxy, or the primary of several workers. */
export interface ReloadTarget {
  /** The config in force, whose files are watched. */
  readonly config: Config;
  readonly logger: Logger;
  /** Puts `config` in force and says so; throws (ConfigErrors) when it cannot, leaving the running one. */
  apply(config: Config): Promise<void>;
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
export function describeFailure(err: unknown): string {
  const problems = configErrorsOf(err);
  if (problems.length > 0) return problems.map((e) => e.message).join('\n');
  return err instanceof Error ? err.message : String(err);
}

/** One proxy as a reload target: build a new context, swap it in, and say so. */
export function proxyReloadTarget(proxy: Proxy): ReloadTarget {
  return {
    get config() {
      return proxy.context.config;
    },
    logger: proxy.context.logger,
    apply: async (config) => {
      const next = await rebuildContext(proxy.context, config);
      const previous = swapContext(proxy, next);
      announceReload(previous.config, next);
    },
  };
}

/**
 * Watch files -> load the config -> apply. Reloads run one at a time; a change seen
 * during one runs another after it. A config that fails to load or apply leaves the
 * running one in place.
 */
export function reloadOnChanges(target: ReloadTarget, options: ReloadOptions): Reloader {
  const watcher = new FileWatcher({ debounceMs: DEBOUNCE_MS, onChange: () => void reload() });
  let running: Promise<void> | null = null;
  let again = false;

  const reloadOnce = async (): Promise<void> => {
    try {
      await target.apply(await options.load());
    } catch (err) {
      target.logger.error({ error: describeFailure(err) }, 'config reload failed');
    }
    // The new config may name other files; a failed one still watches the old config's.
    await watcher.watch(watchedFiles(target.config));
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

  return { ready: watcher.watch(watchedFiles(target.config)), reload, close: () => watcher.close() };
}
