import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config/types.js';

export type { Logger };

/** Paths pino censors wherever they appear; the proxy never logs these on purpose either. */
const REDACT = [
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers["proxy-authorization"]',
  '*.headers.cookie',
  'passphrase',
  '*.passphrase',
  'password',
  '*.password',
  'keyPem',
  '*.keyPem',
];

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where JSON lines go; stdout by default. Tests pass a sink. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.destination ??
    (options.format === 'pretty'
      ? pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l' })
      : // Asynchronous writes keep logging off the request path; flushed on shutdown.
        pino.destination({ dest: 1, sync: false }));
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination,
  );
}
