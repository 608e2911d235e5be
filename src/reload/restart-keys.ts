import type { Config } from '../config/types.js';

/** The keys whose new value needs a restart. */
const RESTART_KEYS: ReadonlyArray<[string, (config: Config) => unknown]> = [
  ['listen.host', (c) => c.listen.host],
  ['listen.port', (c) => c.listen.port],
  ['log.format', (c) => c.log.format],
  ['log.keylog', (c) => c.log.keylog],
  ['workers', (c) => c.workers],
];

/** The keys whose change a reload cannot apply: the listening socket, the log output, the key log file and the worker processes are set up once. */
export function restartNeeded(previous: Config, next: Config): string[] {
  return RESTART_KEYS.filter(([, value]) => value(previous) !== value(next)).map(([key]) => key);
}
