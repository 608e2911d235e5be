import type { Config } from '../config/types.js';

/** Every file whose content the config depends on: the config itself and each file it names. */
export function watchedFiles(config: Config): string[] {
  const files = new Set<string>();
  const add = (file: string | undefined): void => {
    if (file !== undefined) files.add(file);
  };
  add(config.file ?? undefined);
  // A generated CA (ca.dir) is the proxy's own; only a brought one is someone else's to renew.
  add(config.ca.cert);
  add(config.ca.key);
  config.upstream.ca.forEach(add);
  for (const rule of config.clientCertificates) {
    [rule.cert, rule.key, rule.pfx, rule.passphraseFile].forEach(add);
    rule.ca.forEach(add);
  }
  return [...files];
}
