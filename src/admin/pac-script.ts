import type { CompiledRule, MatchableRule } from '../match/matcher.js';

/**
 * The anchored regular expression, as source, for one alternative the matcher
 * compiled: a canonical host, or a glob of `*` and `?` over `[a-z0-9._-]`.
 * Hosts hold no `/`, so minimatch's one-segment `*` and `?` are `.*` and `.`
 * here; only `.` among the other characters needs escaping.
 */
function alternativeSource(alternative: string): string {
  return `^${alternative.replace(/[.*?]/g, (c) => (c === '.' ? '\\.' : c === '*' ? '.*' : '.'))}$`;
}

/** A JS string literal in ASCII alone: JSON leaves U+2028 as is, which would end a `//` comment. */
function jsString(text: string): string {
  return JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The body of FindProxyForURL. Browsers hand it a lowercased host (IDN in
 * punycode), IPv6 sometimes in brackets, a name sometimes with its trailing dot;
 * the port is only in the URL, written when it is not the scheme's default.
 */
const FIND_PROXY = `
var DEFAULT_PORTS = { "http:": 80, "https:": 443, "ws:": 80, "wss:": 443, "ftp:": 21 };

function urlPort(url) {
  var m = /^([a-z][a-z0-9+.-]*:)\\/\\/(?:[^\\/?#]*@)?(?:\\[[^\\]]*\\]|[^\\/?#:]*)(?::(\\d+))?/i.exec(url);
  if (!m) return -1;
  if (m[2]) return parseInt(m[2], 10);
  var port = DEFAULT_PORTS[m[1].toLowerCase()];
  return port === undefined ? -1 : port;
}

function FindProxyForURL(url, host) {
  var name = host.toLowerCase();
  if (name.charAt(0) === "[") name = name.slice(1, -1);
  if (name.charAt(name.length - 1) === ".") name = name.slice(0, -1);
  var port = urlPort(url);
  for (var i = 0; i < RULES.length; i++) {
    var ports = RULES[i][1];
    if ((ports === "*" || ports.indexOf(port) !== -1) && RULES[i][0].test(name)) return PROXY;
  }
  return "DIRECT";
}
`;

/**
 * A PAC file sending the hosts and ports the rules match to `proxyAuthority`
 * (host:port) and everything else direct: one regular expression per
 * alternative, written from the matcher's own compiled rules (shExpMatch knows
 * no braces, and a second translation of the patterns could disagree).
 */
export function pacScript(rules: readonly CompiledRule<MatchableRule>[], proxyAuthority: string): string {
  const lines = rules.flatMap(({ rule, alternatives }) =>
    [...alternatives].map((alternative) => `  [/${alternativeSource(alternative)}/, ${JSON.stringify(rule.ports)}], // ${jsString(rule.host)}`),
  );
  return [
    '// mtls-proxy: hosts with a client certificate rule go through the proxy, everything else direct.',
    `var PROXY = ${jsString(`PROXY ${proxyAuthority}`)};`,
    'var RULES = [',
    ...lines,
    '];',
    FIND_PROXY,
  ].join('\n');
}
