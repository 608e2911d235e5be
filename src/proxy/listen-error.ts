import type { Config } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { formatAuthority } from '../match/host.js';

/**
 * Why the listening socket could not be opened, and which listen key to change.
 * The option is shown as `npm start` needs it too: npm keeps a bare `--port 8081`
 * for itself, and only what follows `--` reaches the proxy.
 */
const LISTEN_PROBLEMS: Readonly<Record<string, { field: string; reason: string; option: string }>> = {
  EADDRINUSE: { field: 'listen.port', reason: 'is already in use by another program; stop it, or choose another port', option: '--port N' },
  EACCES: { field: 'listen.port', reason: 'needs privileges this user lacks (ports below 1024 usually do); choose a port from 1024 up', option: '--port N' },
  EADDRNOTAVAIL: { field: 'listen.host', reason: 'is not an address of this machine; choose another host', option: '--host H' },
};

/** A failure to listen as a config problem in the user's terms; anything else unchanged. */
export function listenError(err: unknown, config: Config): unknown {
  const problem = LISTEN_PROBLEMS[(err as NodeJS.ErrnoException).code ?? ''];
  if (problem === undefined) return err;
  const where = formatAuthority(config.listen.host, config.listen.port);
  const flag = problem.option.split(' ')[0]!;
  const how = `with ${flag} (npm start -- ${problem.option}) or ${problem.field}`;
  return new ConfigError(config.file, problem.field, `${where} ${problem.reason} ${how}`, { cause: err });
}
