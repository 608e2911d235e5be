/**
 * README's "Troubleshooting" has an entry for every Proxy-Status error type the
 * proxy can send, and each entry names the codes and settings the proxy's own
 * sentence for that failure names.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyUpstreamError } from '../../src/proxy/proxy-status.js';
import { PROXY_LOOP_STATUS } from '../../src/proxy/self-target.js';
import { PROJECT_DIR, section } from './readme.js';

const source = readFileSync(`${PROJECT_DIR}src/proxy/proxy-status.ts`, 'utf8');
const typeUnion = /export type ProxyErrorType =([^;]*);/.exec(source)?.[1] ?? '';
/** The upstream failure types, which classifyUpstreamError chooses among. */
const UPSTREAM_TYPES = [...typeUnion.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
/** The proxy's own refusal of a CONNECT to itself, sent without an upstream failure. */
const LOOP_TYPE = /error=([a-z_]+)/.exec(PROXY_LOOP_STATUS)?.[1] ?? '';
const TYPES = [...UPSTREAM_TYPES, LOOP_TYPE];

const troubleshooting = section('Troubleshooting');

/** Entry headings (`### title`) and the text under each. */
const entries = new Map(
  troubleshooting
    .split(/^### /m)
    .slice(1)
    .map((chunk) => {
      const newline = chunk.indexOf('\n');
      return [chunk.slice(0, newline).trim(), chunk.slice(newline + 1)] as const;
    }),
);

function entry(type: string): string {
  return entries.get(`\`${type}\``) ?? '';
}

/** One failure of each type, as the proxy meets it; `code` is the error's code. */
const SAMPLES: Array<{ code: string; hasClientCert?: boolean }> = [
  { code: 'ENOTFOUND' },
  { code: 'ECONNREFUSED' },
  { code: 'ERR_UPSTREAM_CONNECT_TIMEOUT' },
  { code: 'ERR_UPSTREAM_HANDSHAKE_TIMEOUT' },
  { code: 'CERT_HAS_EXPIRED' },
  { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', hasClientCert: false },
  { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', hasClientCert: true },
  { code: 'ERR_SSL_WRONG_VERSION_NUMBER' },
  { code: 'ECONNRESET' },
  { code: 'UND_ERR_HEADERS_TIMEOUT' },
  { code: 'UND_ERR_BODY_TIMEOUT' },
  { code: 'ERR_UPSTREAM_BODY_TIMEOUT' },
  { code: 'ERR_UPSTREAM_PROXY_AUTH' },
  { code: 'ERR_SOMETHING_UNFORESEEN' },
];

const CONFIG_KEY = /\b(?:listen|ca|upstream|log|timeouts|limits)\.[a-zA-Z]+\b|\bclientCertificates\b/g;

describe('the README troubleshooting section', () => {
  it('reads the error types from the source', () => {
    expect(TYPES).toContain('dns_error');
    expect(TYPES).toContain('proxy_configuration_error');
    expect(TYPES).toContain('proxy_loop_detected');
  });

  it('has an entry for every Proxy-Status error type', () => {
    expect(TYPES.filter((type) => entry(type).trim() === '')).toEqual([]);
  });

  it('has no entry for a type the proxy does not send', () => {
    const typed = [...entries.keys()].filter((title) => /^`[a-z_]+`$/.test(title));
    expect(typed.filter((title) => !TYPES.includes(title.slice(1, -1)))).toEqual([]);
  });

  it("names each failure's code and the settings the proxy's own sentence names", () => {
    const covered = new Set<string>();
    for (const { code, hasClientCert = false } of SAMPLES) {
      const err = Object.assign(new Error(`sample ${code}`), { code });
      const failure = classifyUpstreamError(err, 'api.example.com:443', hasClientCert);
      covered.add(failure.type);
      const text = entry(failure.type);
      if (failure.type !== 'proxy_internal_error') expect(text, failure.type).toContain(failure.details);
      for (const key of failure.sentence.match(CONFIG_KEY) ?? []) expect(text, failure.type).toContain(key);
    }
    expect([...covered].sort()).toEqual([...UPSTREAM_TYPES].sort());
  });

  it('tells what a loop refusal means and which settings cause one', () => {
    const text = entry(LOOP_TYPE);
    expect(text).toContain('403');
    for (const key of ['upstream.resolve', 'upstream.proxy']) expect(text).toContain(key);
  });

  it('tells what to do when the client distrusts the certificate and when no rule applied', () => {
    expect(entries.get('The client says the certificate is not trusted')).toContain('ca/ca.crt');
    expect(entries.get('The rule did not apply')).toContain('mtls-proxy match');
    expect(entries.get('The rule did not apply')).toContain('port');
  });
});
