/**
 * The environment that points programs at a proxy: which variables, with which
 * values. Pure: paths and the proxy's address come in, name/value pairs go out.
 */
import { formatAuthority } from '../match/host.js';

export interface ProxyEnvironmentInput {
  /** http://[user:pass@]host:port of the proxy. */
  readonly proxyUrl: string;
  /** The proxy CA's certificate (PEM), absolute. */
  readonly caCert: string;
  /** The system roots followed by the proxy's CA (PEM), absolute. */
  readonly bundle: string;
  /** The Node preload shipped in the package, absolute. */
  readonly preload: string;
  /** NODE_OPTIONS as it is now, if set. */
  readonly nodeOptions: string | undefined;
}

export const NO_PROXY = 'localhost,127.0.0.1,::1';

/** RFC 3986 userinfo: anything but unreserved characters percent-encoded, `'` and `(` included. */
function encodeUserinfo(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Where clients reach a proxy listening on `host`: a wildcard address means this machine's loopback. */
export function proxyUrl(host: string, port: number, auth?: { readonly username: string; readonly password: string }): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const credentials = auth ? `${encodeUserinfo(auth.username)}:${encodeUserinfo(auth.password)}@` : '';
  return `http://${credentials}${formatAuthority(reachable, port)}`;
}

/**
 * NODE_OPTIONS splits on spaces except inside double quotes, where `\` escapes;
 * a path is quoted only when it needs to be.
 */
function nodeOptionValue(value: string): string {
  return /[\s"\\]/.test(value) ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value;
}

/** NODE_OPTIONS with `--require preload` added once: a shell that evals `env` twice keeps one. */
export function nodeOptionsWith(current: string | undefined, preload: string): string {
  const require = `--require ${nodeOptionValue(preload)}`;
  const existing = current?.trim() ?? '';
  if (existing.includes(require)) return existing;
  return existing === '' ? require : `${existing} ${require}`;
}

export function proxyEnvironment(input: ProxyEnvironmentInput): Array<[string, string]> {
  return [
    ['HTTPS_PROXY', input.proxyUrl],
    ['HTTP_PROXY', input.proxyUrl],
    ['https_proxy', input.proxyUrl],
    ['http_proxy', input.proxyUrl],
    ['NO_PROXY', NO_PROXY],
    ['no_proxy', NO_PROXY],
    ['NODE_EXTRA_CA_CERTS', input.caCert],
    ['NODE_USE_ENV_PROXY', '1'],
    ['NODE_OPTIONS', nodeOptionsWith(input.nodeOptions, input.preload)],
    ['SSL_CERT_FILE', input.bundle],
    ['REQUESTS_CA_BUNDLE', input.bundle],
    ['CURL_CA_BUNDLE', input.bundle],
  ];
}
