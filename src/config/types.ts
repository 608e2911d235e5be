/**
 * The validated, resolved, frozen configuration every other module reads.
 * Paths are absolute; `${NAME}` references are already substituted; defaults applied.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';

export interface ListenConfig {
  readonly host: string;
  readonly port: number;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly allow?: readonly string[];
}

export interface CaConfig {
  /** Folder of the generated CA (ca.crt, ca.key). */
  readonly dir: string;
  /** Bring-your-own CA: both set, or neither. */
  readonly cert?: string;
  readonly key?: string;
  readonly passphrase?: string;
}

export interface UpstreamConfig {
  readonly verify: boolean;
  /** Extra PEM bundles trusted in addition to (or, with systemCA false, instead of) the system roots. */
  readonly ca: readonly string[];
  readonly systemCA: boolean;
  readonly proxy?: string;
  readonly noProxy: readonly string[];
  /** Canonical host or host:port -> address or address:port, as in curl --resolve. */
  readonly resolve: Readonly<Record<string, string>>;
}

export interface ClientCertificateRule {
  /** 0-based position in `clientCertificates`, for error paths and tie-breaking. */
  readonly index: number;
  /** The pattern as written (for logs and tables). */
  readonly host: string;
  /** Ports this rule covers; '*' is any port. A missing `port` is [443]. */
  readonly ports: readonly number[] | '*';
  readonly cert?: string;
  readonly key?: string;
  readonly pfx?: string;
  /** Already read from `passphrase` or `passphraseFile` (trailing newline stripped). */
  readonly passphrase?: string;
  /**
   * Lowest TLS version offered to this rule's upstreams; unset is Node's default.
   * Under TLS 1.2 the client certificate crosses the wire in clear.
   */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Where `passphrase` was read from, when it was; watched for a reload. */
  readonly passphraseFile?: string;
  readonly ca: readonly string[];
  /** Per-rule override of upstream.verify, when set. */
  readonly verify?: boolean;
  /**
   * Why passphraseFile could not be read, when it could not: the certificate store
   * reports it together with every other file problem, so one run shows them all.
   */
  readonly passphraseFileProblem?: string;
}

export interface TimeoutsConfig {
  /** All in seconds. */
  readonly connect: number;
  readonly handshake: number;
  readonly response: number;
  readonly idle: number;
}

export interface Config {
  /** Absolute path of the config file, or null for the built-in defaults. */
  readonly file: string | null;
  readonly listen: ListenConfig;
  readonly ca: CaConfig;
  readonly intercept: 'matched' | 'all';
  readonly upstream: UpstreamConfig;
  readonly clientCertificates: readonly ClientCertificateRule[];
  readonly log: {
    readonly level: LogLevel;
    readonly format: LogFormat;
    /** Absolute path of the TLS key log (log.keylog, else $SSLKEYLOGFILE), when one is wanted. */
    readonly keylog?: string;
  };
  readonly warnExpiryDays: number;
  readonly timeouts: TimeoutsConfig;
  readonly limits: { readonly maxConnections: number };
  /** Processes serving clients on the listening socket (node:cluster workers when more than 1); `auto` already resolved. */
  readonly workers: number;
  /** What loading noticed that the user should hear, such as a config.yml left unread. */
  readonly loadWarnings?: readonly string[];
}
