/**
 * The TLS key log (log.keylog, else $SSLKEYLOGFILE): each side's secrets in NSS
 * key log format, the lines Node gives in 'keylog' events, for Wireshark.
 */
import { openSync, write } from 'node:fs';
import { ConfigError } from '../errors.js';

/** One open file per path, shared by every socket (and by a config reloaded with the same path). */
const writers = new Map<string, (line: Buffer) => void>();

/**
 * The function to pass to a socket's 'keylog' event. The file is opened once,
 * for appending, created with mode 0600: anyone holding it can decrypt the traffic.
 * Each line is one write with O_APPEND, so lines of concurrent handshakes never interleave.
 */
export function keyLogWriter(file: string): (line: Buffer) => void {
  let writer = writers.get(file);
  if (writer === undefined) {
    const fd = openSync(file, 'a', 0o600);
    writer = (line) => write(fd, line, ignoreWriteError);
    writers.set(file, writer);
  }
  return writer;
}

function ignoreWriteError(): void {
  // A key log that cannot be written loses lines; the traffic itself must go on.
}

/** Opens the key log at start, so a path that cannot be written is a config error then, not a silent loss later. */
export function openKeyLog(file: string, configFile: string | null): void {
  try {
    keyLogWriter(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(configFile, 'log.keylog', `cannot open ${file} for appending (${reason}).`, { cause: err });
  }
}
