import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../config/types.js';

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where JSON lines go; stdout by default. Tests pass a sink. */
  destination?: DestinationStream;
  /** The file descriptor lines go to without a destination: 1 (stdout, the default) or 2 (`run`, whose stdout is the command's). */
  fd?: 1 | 2;
  /** Fields every line carries, such as a cluster worker's `worker`. */
  base?: Readonly<Record<string, unknown>>;
  /** Other processes write to the same output (with `workers` above 1): see batchedDestination. */
  shared?: boolean;
}

/** pino-pretty is loaded only when asked for: the JSON path should not pay its memory. */
function prettyDestination(fd: 1 | 2): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const tty = (fd === 1 ? process.stdout : process.stderr).isTTY === true;
  return pretty({ sync: true, colorize: tty, translateTime: 'SYS:HH:MM:ss.l', destination: fd });
}

/**
 * The proxy's logger. It logs only fields it names itself (never a request or its
 * headers), so secrets are kept out by construction rather than by pino's redaction,
 * which measured at ~7% of the proxy's CPU per request.
 */
export function createLogger(options: LoggerOptions): Logger {
  const fd = options.fd ?? 1;
  const destination = options.destination ?? (options.format === 'pretty' ? prettyDestination(fd) : batchedDestination(fd, options.shared ?? false));
  return pino({ level: options.level, base: options.base ?? undefined }, destination);
}

/** How long a log line may wait in the buffer before it is written. */
const FLUSH_INTERVAL_MS = 100;

/**
 * The most a pipe takes in one write without interleaving it with other writers' (POSIX
 * PIPE_BUF, 4096 on Linux); a longer write to a full pipe may be split around theirs.
 */
const PIPE_BUF = 4096;

/**
 * Asynchronous, batched writes to stdout (or stderr): one write per 32 KiB of lines instead of
 * one per line keeps logging off the request path (4 KiB batches still cost 5% of the
 * CPU of a keep-alive request). A quiet proxy's lines wait at most FLUSH_INTERVAL_MS;
 * shutdown flushes the rest. When other processes share the output, each write is whole
 * lines of at most PIPE_BUF bytes (sonic-boom cuts its buffer between writes at maxWrite),
 * so no line is ever cut by another process's.
 */
function batchedDestination(fd: 1 | 2, shared: boolean): DestinationStream {
  const sizes = shared ? { minLength: PIPE_BUF - 1024, maxWrite: PIPE_BUF } : { minLength: 32 * 1024, maxWrite: 64 * 1024 };
  // Buffers, not text: in text mode sonic-boom measures the whole pending batch's byte
  // length for every line it appends, copying up to 32 KiB a line (3 % of a keep-alive
  // request's CPU in a profile).
  const boom = pino.destination({ dest: fd, sync: false, contentMode: 'buffer', ...sizes });
  // sonic-boom's own periodicFlush writes even with nothing buffered: an idle proxy
  // made an empty write() ten times a second, for days.
  let unflushed = false;
  setInterval(() => {
    if (!unflushed) return;
    unflushed = false;
    boom.flush();
  }, FLUSH_INTERVAL_MS).unref();
  return {
    write(line: string) {
      unflushed = true;
      // sonic-boom's types know only its text mode's write(string).
      return (boom.write as unknown as (data: Buffer) => boolean)(Buffer.from(line));
    },
    flush: (callback?: (err?: Error) => void) => boom.flush(callback),
  } as DestinationStream;
}
