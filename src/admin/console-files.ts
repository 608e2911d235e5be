import { readFileSync } from 'node:fs';
import { packageFile } from '../package-files.js';
import type { AdminEndpoint } from './endpoint.js';

/**
 * What every console response carries: scripts only from files of this origin (no
 * inline script, no eval), nothing framed, no referrer, no sniffing, no caching.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The console's static files, read once from admin/console/ (the build copies them into dist/). */
function consoleFile(name: string, contentType: string, summary: string): AdminEndpoint {
  let body: string | undefined;
  return {
    summary,
    open: false,
    answer: () => ({ contentType, body: (body ??= readFileSync(packageFile(`admin/console/${name}`), 'utf8')), headers: CONSOLE_HEADERS }),
  };
}

export const consolePage = consoleFile('index.html', 'text/html; charset=utf-8', 'the console: rules, certificates, the CA, live traffic, a probe');
export const consoleStyle = consoleFile('console.css', 'text/css; charset=utf-8', "the console's style sheet");
export const consoleScript = consoleFile('console.js', 'text/javascript; charset=utf-8', "the console's script");
export const consoleIcon = consoleFile('favicon.svg', 'image/svg+xml', "the console's icon");
