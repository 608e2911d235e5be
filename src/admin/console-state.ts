import { daysUntil, summarizeCertificate } from '../certs/summary.js';
import { portLabel } from '../match/matcher.js';
import { describeTrust } from '../upstream/trust.js';
import { CONSOLE_HEADERS } from './console-files.js';
import type { AdminContext, AdminEndpoint } from './endpoint.js';

/** How a certificate's expiry should look: `expired`, `expiring` (within warnExpiryDays), or `ok`. */
export function expiryState(daysLeft: number, warnExpiryDays: number): 'expired' | 'expiring' | 'ok' {
  return daysLeft < 0 ? 'expired' : daysLeft < warnExpiryDays ? 'expiring' : 'ok';
}

/**
 * What the console shows besides the feed, read from the context in force: the rules
 * in the order the matcher tries them, each certificate's public facts, the CA. Public
 * facts only: never a file path, a passphrase or a key.
 */
export function consoleState(ctx: AdminContext, pages: ReadonlyMap<string, { summary: string; open: boolean }>, now = new Date()): unknown {
  const { config, store, ca } = ctx;
  const caSummary = summarizeCertificate(ca.cert, now);
  return {
    intercept: config.intercept,
    warnExpiryDays: config.warnExpiryDays,
    rules: ctx.matcher.precedence().map((rule) => {
      const { subject, issuer, fingerprint256, validTo } = store.identity(rule.index).summary;
      const daysLeft = daysUntil(new Date(validTo), now);
      return {
        index: rule.index,
        host: rule.host,
        ports: portLabel(rule.ports),
        subject,
        issuer,
        fingerprint256,
        validTo,
        daysLeft,
        expiry: expiryState(daysLeft, config.warnExpiryDays),
        trust: describeTrust(config, rule),
      };
    }),
    ca: { subject: caSummary.subject, fingerprint256: caSummary.fingerprint256, validTo: caSummary.validTo, daysLeft: caSummary.daysLeft },
    pages: [...pages].map(([path, page]) => ({ path, summary: page.summary, open: page.open })),
    // With workers, the feed is this worker's only: the page says so.
    worker: ctx.cluster ? { id: ctx.cluster.worker, of: ctx.cluster.workers } : null,
  };
}

export function consoleStateEndpoint(pages: ReadonlyMap<string, { summary: string; open: boolean }>): AdminEndpoint {
  return {
    summary: 'what the console shows, as JSON',
    open: false,
    answer: (ctx) => ({ contentType: 'application/json', body: JSON.stringify(consoleState(ctx, pages)), headers: CONSOLE_HEADERS }),
  };
}
