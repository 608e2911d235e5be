/**
 * NO_PROXY as curl and undici read it: comma- or space-separated entries; `*` is
 * every host; a name covers itself and its subdomains (a leading `.` or `*.` is
 * the same); an entry with `:port` covers that port only; IPv6 may be bracketed.
 */

interface Entry {
  readonly host: string;
  readonly port: number | null;
}

function parseEntry(raw: string): Entry | null {
  let text = raw.trim().toLowerCase();
  if (text === '') return null;
  let port: number | null = null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] === undefined ? null : Number(bracketed[2]) };
  const withPort = /^([^:]+):(\d+)$/.exec(text);
  if (withPort) {
    text = withPort[1]!;
    port = Number(withPort[2]);
  }
  return { host: text.replace(/^\*?\./, ''), port };
}

export function parseNoProxy(value: string | undefined): readonly Entry[] {
  return (value ?? '').split(/[\s,]+/).flatMap((raw) => parseEntry(raw) ?? []);
}

/** Whether a request to host:port goes direct. `host` as in a URL, brackets allowed. */
export function bypassesProxy(entries: readonly Entry[], host: string, port: number): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  return entries.some((entry) => {
    if (entry.host === '*') return true;
    if (entry.port !== null && entry.port !== port) return false;
    return name === entry.host || name.endsWith(`.${entry.host}`);
  });
}
