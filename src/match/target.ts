import { HostError } from '../errors.js';
import { parseAuthority } from './host.js';

/** The port a URL's scheme implies, for the schemes whose traffic goes through the proxy. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'https:': 443, 'http:': 80, 'wss:': 443, 'ws:': 80 };

/**
 * HOST[:PORT] (443 by default), or a URL pasted from a browser or a curl command
 * line: its host and port. Throws HostError with a sentence for the user.
 */
export function parseTarget(target: string): { host: string; port: number } {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return parseAuthority(target, 443);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new HostError('ERR_INVALID_TARGET', `Invalid URL ${JSON.stringify(target)}: give HOST[:PORT] or a URL such as https://api.example.com/`);
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined) throw new HostError('ERR_INVALID_TARGET', `"${url.protocol}//" URLs do not go through the proxy; give an http:// or https:// URL, or HOST[:PORT]`);
  // WHATWG URLs drop a port equal to the scheme's default; `host` keeps any other.
  return parseAuthority(url.host, defaultPort);
}
