import { BlockList, isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { HostError } from '../errors.js';
import { canonicalHost, formatAuthority, parseAuthority } from '../match/host.js';
import { validatePattern } from '../match/pattern.js';
import { formatCidr, parseCidr } from './cidr.js';

/**
 * The config file's shape: strict objects (unknown keys are errors), defaults,
 * and canonical forms for hosts and address ranges. Paths stay as written here;
 * they are resolved against the config file's folder afterwards.
 *
 * Every default is a prefault: written as a user would write it and parsed like
 * input, so it shows in the JSON Schema and gets the same canonical form.
 */

/** A value a local parser rejects; its message is the reason shown to the user. */
class InvalidValue extends Error {}

/** Runs a parser that throws HostError or InvalidValue, reporting the throw's message instead. */
function attempt<T>(parse: () => T, report: (reason: string) => void): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof HostError || err instanceof InvalidValue)) throw err;
    // The matching module writes whole sentences; here they follow "file: path: ".
    report(err.message.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase()).replace(/\.$/, ''));
    return undefined;
  }
}

/** A transform from a throwing parser: its throw becomes an issue on the value. */
function checked<T>(parse: (value: string) => T) {
  return (value: string, ctx: z.RefinementCtx): T =>
    attempt(
      () => parse(value),
      (message) => ctx.addIssue({ code: 'custom', input: value, message }),
    ) ?? z.NEVER;
}

/** A union whose failure reads as one sentence instead of one complaint per branch. */
function oneOf<const T extends readonly [z.ZodType, ...z.ZodType[]]>(options: T, expected: string) {
  return z.union(options, {
    error: (issue) => (issue.code === 'invalid_union' ? `must be ${expected}` : undefined),
  });
}

const filePath = z.string().min(1);

const filePaths = oneOf([filePath, z.array(filePath)], 'a file path or a list of file paths').transform(
  (value): string[] => (typeof value === 'string' ? [value] : value),
);

function canonicalCidr(value: string): string {
  const cidr = parseCidr(value);
  if (cidr === null) {
    throw new InvalidValue(`${JSON.stringify(value)} is not an address range such as 10.0.0.0/8 or fd00::/8`);
  }
  return formatCidr(cidr);
}

// ---- listen -----------------------------------------------------------------

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function isLoopback(host: string): boolean {
  const version = isIP(host);
  if (version === 0) return host === 'localhost';
  return LOOPBACK.check(host, version === 4 ? 'ipv4' : 'ipv6');
}

const listenSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .transform(checked(canonicalHost))
      .prefault('127.0.0.1')
      .describe('Address the proxy listens on. Any non-loopback address needs auth or allow.'),
    port: z.int().min(0).max(65535).prefault(8080).describe('Port the proxy listens on (0: any free port).'),
    auth: z
      .strictObject({
        username: z
          .string()
          .min(1)
          .refine((name) => !name.includes(':'), 'must not contain ":", which separates it from the password'),
        password: z.string().min(1),
      })
      .optional()
      .describe('Basic Proxy-Authorization that clients must send.'),
    allow: z
      .array(z.string().transform(checked(canonicalCidr)))
      .min(1)
      .optional()
      .describe('Client address allow-list (CIDR, such as 172.18.0.0/16).'),
  })
  .superRefine((listen, ctx) => {
    if (isLoopback(listen.host) || listen.auth !== undefined || listen.allow !== undefined) return;
    ctx.addIssue({
      code: 'custom',
      path: ['host'],
      input: listen.host,
      message:
        `${JSON.stringify(listen.host)} is not a loopback address, so anyone who can reach it could use ` +
        'the proxy and its client certificates; set listen.auth or listen.allow, or listen on 127.0.0.1',
    });
  });

// ---- ca ---------------------------------------------------------------------

/** cert and key come as a pair; `alternative` tells what else would do. */
function checkCertKeyPair(value: { cert?: string; key?: string }, ctx: z.RefinementCtx, alternative = ''): void {
  const missing = value.cert === undefined ? 'cert' : value.key === undefined ? 'key' : undefined;
  if (missing === undefined || (value.cert === undefined && value.key === undefined)) return;
  const message = `is missing; cert and key go together${alternative}`;
  ctx.addIssue({ code: 'custom', path: [missing], input: undefined, message });
}

const caSchema = z
  .strictObject({
    dir: filePath.prefault('./ca').describe('Folder of the generated CA: ca.crt (public) and ca.key (mode 0600).'),
    cert: filePath.optional().describe('Bring your own CA: its certificate (PEM), together with key.'),
    key: filePath.optional().describe('Bring your own CA: its private key (PEM), together with cert.'),
    passphrase: z.string().optional().describe('Passphrase of the CA key given in key.'),
  })
  .superRefine((ca, ctx) => {
    checkCertKeyPair(ca, ctx);
    if (ca.passphrase !== undefined && ca.key === undefined && ca.cert === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['passphrase'],
        input: undefined,
        message: 'is only used with a CA you bring yourself (cert and key)',
      });
    }
  });

// ---- upstream ---------------------------------------------------------------

function httpProxyUrlProblem(value: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  // The URL may carry credentials, so no message repeats it.
  if (scheme === undefined) return 'must be a URL such as http://proxy.example.com:3128';
  if (scheme.toLowerCase() !== 'http') return `must be an http:// URL, not ${scheme}://`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL; expected one such as http://user:pass@proxy.example.com:3128';
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    return 'must name only the proxy (http://host:port), without a path, query or fragment';
  }
  return undefined;
}

function canonicalNoProxy(entry: string): string {
  return entry.includes('/') ? canonicalCidr(entry) : validatePattern(entry);
}

/** `host:port` or `[v6]:port`; anything else has no port. */
const WITH_PORT = /^(\[[^\]]*\]|[^:]*):(\d+)$/;

function canonicalResolveKey(key: string): { key: string; hasPort: boolean } {
  if (WITH_PORT.test(key)) {
    const { host, port } = parseAuthority(key);
    return { key: formatAuthority(host, port), hasPort: true };
  }
  return { key: canonicalHost(key), hasPort: false };
}

function canonicalResolveTarget(target: string, keyHasPort: boolean): string {
  const withPort = WITH_PORT.test(target);
  const { host, port } = withPort ? parseAuthority(target) : { host: canonicalHost(target), port: 0 };
  if (isIP(host) === 0) {
    throw new InvalidValue(
      `${JSON.stringify(target)} is not an IP address, optionally with :port (such as 10.1.2.3 or 127.0.0.1:9443)`,
    );
  }
  if (withPort && !keyHasPort) throw new InvalidValue('names a port, so its key must be host:port too');
  return withPort ? formatAuthority(host, port) : host;
}

const resolveSchema = z.record(z.string(), z.string()).transform((entries, ctx) => {
  const resolved: Record<string, string> = {};
  const writtenAs = new Map<string, string>();
  for (const [written, target] of Object.entries(entries)) {
    const report = (message: string): void => ctx.addIssue({ code: 'custom', path: [written], input: target, message });
    const key = attempt(() => canonicalResolveKey(written), report);
    const address = key && attempt(() => canonicalResolveTarget(target, key.hasPort), report);
    if (key === undefined || address === undefined) continue;
    const earlier = writtenAs.get(key.key);
    if (earlier !== undefined) report(`names the same host as ${JSON.stringify(earlier)}`);
    writtenAs.set(key.key, written);
    resolved[key.key] = address;
  }
  return resolved;
});

const upstreamSchema = z.strictObject({
  verify: z.boolean().prefault(true).describe('Verify upstream certificates, host name included.'),
  ca: filePaths
    .prefault([])
    .describe('PEM files (each may hold many certs) trusted in addition to the system roots.'),
  systemCA: z.boolean().prefault(true).describe('Trust the system roots; false trusts only upstream.ca.'),
  proxy: z
    .string()
    .superRefine((value, ctx) => {
      const problem = httpProxyUrlProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', input: undefined, message: problem });
    })
    .optional()
    .describe('Send upstream traffic through this http:// proxy.'),
  noProxy: z
    .array(z.string().min(1).transform(checked(canonicalNoProxy)))
    .prefault([])
    .describe('Host patterns and address ranges reached directly, not through upstream.proxy.'),
  resolve: resolveSchema
    .prefault({})
    .describe('Like curl --resolve: "host" or "host:port" -> "address" or "address:port".'),
});

// ---- clientCertificates -----------------------------------------------------

const portNumber = z.int().min(1).max(65535);

const ruleSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .transform(
        checked((pattern) => {
          validatePattern(pattern);
          return pattern;
        }),
      )
      .describe('Host pattern, no protocol: * any run of characters, ? one character, {a,b} alternatives.'),
    port: oneOf(
      [z.literal('*'), portNumber, z.array(portNumber).min(1)],
      'a port number, a list of port numbers, or "*"',
    )
      .transform((port): number[] | '*' => (typeof port === 'number' ? [port] : port))
      .prefault([443])
      .describe('A port, a list of ports, or "*" for any port.'),
    cert: filePath.optional().describe('Client certificate (PEM), may include the intermediate chain.'),
    key: filePath.optional().describe('Private key of cert (PEM), may be encrypted.'),
    pfx: filePath.optional().describe('PKCS#12 / .pfx file instead of cert and key.'),
    passphrase: z.string().optional().describe('Passphrase of key or pfx; ${NAME} reads it from the environment.'),
    passphraseFile: filePath.optional().describe('File holding the passphrase (one trailing newline is ignored).'),
    ca: filePaths.prefault([]).describe("Extra trust for this rule's hosts only (PEM files)."),
    verify: z.boolean().optional().describe('Per-rule override of upstream.verify.'),
    minVersion: z
      .enum(['TLSv1.2', 'TLSv1.3'])
      .optional()
      .describe("Lowest TLS version for this rule's upstreams; TLSv1.3 never sends the client certificate in clear."),
  })
  .superRefine((rule, ctx) => {
    const hasPair = rule.cert !== undefined || rule.key !== undefined;
    if (rule.pfx !== undefined && hasPair) {
      const given = [rule.cert !== undefined && 'cert', rule.key !== undefined && 'key'].filter(Boolean).join(' and ');
      ctx.addIssue({
        code: 'custom',
        path: ['pfx'],
        input: undefined,
        message: `cannot be combined with ${given}; use either cert and key, or pfx`,
      });
    } else if (hasPair) {
      checkCertKeyPair(rule, ctx, ' (or use pfx instead)');
    } else if (rule.pfx === undefined) {
      ctx.addIssue({ code: 'custom', input: undefined, message: 'has no certificate: set cert and key, or pfx' });
    }
    if (rule.passphrase !== undefined && rule.passphraseFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['passphraseFile'],
        input: undefined,
        message: 'cannot be combined with passphrase; use one of them',
      });
    }
  });

// ---- the whole file ---------------------------------------------------------

const seconds = z.number().positive();

export const configSchema = z
  .strictObject({
    listen: listenSchema.prefault({}),
    ca: caSchema.prefault({}).describe("The proxy's own CA, which clients trust."),
    intercept: z
      .enum(['matched', 'all'])
      .prefault('matched')
      .describe('matched: decrypt only host:port pairs that have a rule; all: decrypt every HTTPS connection.'),
    upstream: upstreamSchema.prefault({}),
    clientCertificates: z
      .array(ruleSchema)
      .prefault([])
      .describe('Which client certificate to present to which hosts.'),
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).prefault('info'),
        format: z.enum(['json', 'pretty']).prefault('json'),
        keylog: z
          .string()
          .min(1)
          .optional()
          .describe('File the TLS secrets of both sides are appended to (NSS key log format, for Wireshark); also $SSLKEYLOGFILE.'),
      })
      .prefault({}),
    warnExpiryDays: z
      .int()
      .min(0)
      .prefault(30)
      .describe('Warn when a client certificate expires within this many days.'),
    timeouts: z
      .strictObject({
        connect: seconds.prefault(10).describe('Upstream TCP connect.'),
        handshake: seconds.prefault(10).describe('TLS handshake, either side.'),
        response: seconds.prefault(60).describe('Upstream response headers.'),
        idle: seconds.prefault(60).describe('Idle keep-alive, either side.'),
      })
      .prefault({})
      .describe('In seconds.'),
    workers: oneOf([z.int().min(1), z.literal('auto')], 'a whole number from 1 up, or auto')
      .transform((workers) => (workers === 'auto' ? availableParallelism() : workers))
      .prefault(1)
      .describe('Processes that serve clients on the one port; auto is one per core (os.availableParallelism()).'),
    limits: z
      .strictObject({
        maxConnections: z
          .int()
          .min(1)
          .prefault(10000)
          .describe('Client connections; beyond it the proxy answers 503.'),
      })
      .prefault({}),
  })
  .describe('mtls-proxy configuration');

export type ParsedConfig = z.output<typeof configSchema>;
