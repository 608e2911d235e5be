import type { Config } from '../config/types.js';

/** The listen and log keys whose new value needs a restart, compared as strings. */
const RESTART_KEYS: ReadonlyArray<[string, (config: Config) => unknown]> = [
  ['listen.host', (c) => c.listen.host],
  ['listen.port', (c) => c.listen.port],
  ['log.format', (c) => c.log.format],
  ['log.keylog', (c) => c.log.keylog],
];

/** The keys whose change a reload cannot apply: the listening socket, the log output and the key log file are set up once. */
export function restartNeeded(previous: Config, next: Config): string[] {
  return RESTART_KEYS.filter(([, value]) => value(previous) !== value(next)).map(([key]) => key);
}
