const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * A zod-style path as users read it in errors: `clientCertificates[1].key`,
 * `upstream.resolve["api.example.com:443"]` (keys that are not plain names are quoted).
 */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}
