/**
 * Every error the proxy raises on purpose carries a stable `code` that callers
 * match on, keeps its `cause`, and has a `message` that is one plain sentence
 * a user can act on.
 */
export class MtlsProxyError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A problem with the configuration or with a file it names. `file` is the
 * config file (null for the built-in defaults), `path` the field path such as
 * `clientCertificates[1].key` (empty when the problem is the file as a whole).
 */
export class ConfigError extends MtlsProxyError {
  readonly file: string | null;
  readonly path: string;
  readonly reason: string;

  constructor(
    file: string | null,
    path: string,
    reason: string,
    options?: { cause?: unknown; code?: string },
  ) {
    super(options?.code ?? 'ERR_CONFIG_INVALID', formatConfigProblem(file, path, reason), options);
    this.file = file;
    this.path = path;
    this.reason = reason;
  }
}

/** Several config problems found in one pass, reported together. */
export class ConfigErrors extends MtlsProxyError {
  readonly errors: readonly ConfigError[];

  constructor(errors: readonly ConfigError[]) {
    super('ERR_CONFIG_INVALID', errors.map((e) => e.message).join('\n'));
    this.errors = errors;
  }
}

/** A certificate or key that cannot be used; raised without config context, wrapped by the caller. */
export class CertificateError extends MtlsProxyError {}

/** A host name or host pattern that cannot be a host. */
export class HostError extends MtlsProxyError {}

function formatConfigProblem(file: string | null, path: string, reason: string): string {
  const where = [file ?? 'built-in defaults', path].filter((p) => p !== '').join(': ');
  return `${where}: ${reason}`;
}

/** The config errors inside any error, or none. */
export function configErrorsOf(err: unknown): readonly ConfigError[] {
  if (err instanceof ConfigErrors) return err.errors;
  if (err instanceof ConfigError) return [err];
  return [];
}

/** Both results; or, when either fails on config problems, the problems of both in one ConfigErrors. */
export async function allProblemsAtOnce<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'fulfilled' && rb.status === 'fulfilled') return [ra.value, rb.value];
  const failures = [ra, rb].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const bug = failures.find((err) => configErrorsOf(err).length === 0);
  throw bug ?? new ConfigErrors(failures.flatMap(configErrorsOf));
}
