import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';

/**
 * Upstream SecureContexts still in memory, by credentials id, held weakly.
 *
 * Each context with the system roots holds its own parsed copy of them (some 150
 * certificates, about 1 MiB of native memory), and Node tells V8 it weighs 1 KiB:
 * a context a reload let go of can wait through many more reloads for the GC that
 * frees it, and glibc keeps the peak resident afterwards. So a reload whose identity
 * and trust match a context not yet collected (the unchanged rules of the previous
 * config, or one rotated back) reuses it instead of parsing the roots once more.
 */
const alive = new Map<string, WeakRef<SecureContext>>();
const collected = new FinalizationRegistry<string>((id) => {
  if (alive.get(id)?.deref() === undefined) alive.delete(id);
});

/** The context for `id`: one still alive, or a new one from `options` (equal ids must mean equal options). */
export function secureContextFor(id: string, options: () => SecureContextOptions): SecureContext {
  const existing = alive.get(id)?.deref();
  if (existing) return existing;
  const context = createSecureContext(options());
  alive.set(id, new WeakRef(context));
  collected.register(context, id);
  return context;
}
