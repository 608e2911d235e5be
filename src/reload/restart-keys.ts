import type { Config } from '../config/types.js';

/** The listen and log keys whose new value needs a restart, compared as strings. */
const RESTART_KEYS: ReadonlyArray<[string, (config: Config) => unknown]> = [
  ['listen.host', (c) => c.listen.host],
  ['listen.port', (c) => c.listen.port],
  ['log.format', (c) => c.log.format],
];

/** The keys whose change a reload cannot apply: the listening socket and the log output are made once. */
export function restartNeeded(previous: Config, next: Config): string[] {
  return RESTART_KEYS.filter(([, value]) => value(previous) !== value(next)).map(([key]) => key);
}
