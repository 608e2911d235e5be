import { connect, BlockList, type Socket } from 'node:net';
import { MtlsProxyError } from '../errors.js';
import { isIpLiteral, formatAuthority } from '../match/host.js';
import { HostMatcher } from '../match/matcher.js';
import { parseCidr } from '../config/cidr.js';

const MAX_RESPONSE_HEAD = 16 * 1024;

/**
 * Decides which hosts skip upstream.proxy. A name in noProxy covers itself and its
 * subdomains, as NO_PROXY does in curl; globs and CIDR ranges mean what they say
 * (ranges apply to IP literals only: the proxy does not resolve names to decide).
 */
export class NoProxy {
  readonly #ranges = new BlockList();
  readonly #patterns: HostMatcher<{ index: number; host: string; ports: '*' }>;

  constructor(entries: readonly string[]) {
    const patterns: string[] = [];
    for (const entry of entries) {
      const cidr = entry.includes('/') ? parseCidr(entry) : null;
      if (cidr) this.#ranges.addSubnet(cidr.address, cidr.prefix, cidr.family);
      else if (/[*?{]/.test(entry) || isIpLiteral(entry) !== 0) patterns.push(entry);
      else patterns.push(entry, `*.${entry}`);
    }
    this.#patterns = new HostMatcher(patterns.map((host, index) => ({ index, host, ports: '*' as const })));
  }

  bypasses(host: string): boolean {
    const family = isIpLiteral(host);
    if (family !== 0 && this.#ranges.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true;
    return this.#patterns.match(host, 0) !== null;
  }
}

function basicCredentials(url: URL): string | null {
  if (url.username === '' && url.password === '') return null;
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/**
 * Opens a TCP tunnel to host:port through an HTTP proxy with CONNECT. The socket
 * it resolves with carries the target's bytes; TLS, if any, is layered on it by
 * the caller, so the client certificate never reaches the upstream proxy in clear.
 */
export function dialThroughProxy(proxy: URL, host: string, port: number, timeoutMs: number): Promise<Socket> {
  const target = formatAuthority(host, port);
  const where = `the upstream proxy ${proxy.hostname}:${proxy.port || 80}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxy.hostname.replace(/^\[|\]$/g, ''), port: Number(proxy.port || 80), noDelay: true, allowHalfOpen: true });
    let head = Buffer.alloc(0);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new MtlsProxyError('ERR_UPSTREAM_CONNECT_TIMEOUT', `Connecting to ${target} through ${where} timed out.`)),
      timeoutMs,
    );
    socket.once('error', fail);
    socket.once('connect', () => {
      const auth = basicCredentials(proxy);
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`);
    });
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > MAX_RESPONSE_HEAD) fail(new MtlsProxyError('ERR_UPSTREAM_PROXY', `${where} sent an over-long answer to CONNECT ${target}.`));
        return;
      }
      socket.off('data', onData);
      socket.pause();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1];
      if (status !== '200') {
        const code = status === '407' ? 'ERR_UPSTREAM_PROXY_AUTH' : 'ERR_UPSTREAM_PROXY';
        fail(new MtlsProxyError(code, `${where} answered ${status ?? 'something other than HTTP'} to CONNECT ${target}; check upstream.proxy${status === '407' ? ' and its credentials' : ''}.`));
        return;
      }
      clearTimeout(timer);
      socket.off('error', fail);
      socket.off('end', onEnd);
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    const onEnd = (): void => fail(new MtlsProxyError('ERR_UPSTREAM_PROXY', `${where} closed the connection during CONNECT ${target}.`));
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}
