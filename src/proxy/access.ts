import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList } from 'node:net';
import { parseCidr } from '../config/cidr.js';
import type { ListenConfig } from '../config/types.js';

const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Who may use the proxy: listen.allow (client address ranges) and listen.auth (Basic Proxy-Authorization). */
export class AccessControl {
  readonly #allow: BlockList | null;
  readonly #credentials: Buffer | null;

  constructor(listen: ListenConfig) {
    this.#allow = listen.allow ? new BlockList() : null;
    for (const entry of listen.allow ?? []) {
      const cidr = parseCidr(entry);
      if (cidr) this.#allow!.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    this.#credentials = listen.auth ? Buffer.from(`${listen.auth.username}:${listen.auth.password}`) : null;
  }

  allowsAddress(remoteAddress: string | undefined): boolean {
    if (!this.#allow) return true;
    if (remoteAddress === undefined) return false;
    // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
    const v4 = MAPPED_IPV4.exec(remoteAddress)?.[1];
    return v4 ? this.#allow.check(v4, 'ipv4') : this.#allow.check(remoteAddress, remoteAddress.includes(':') ? 'ipv6' : 'ipv4');
  }

  /** True when no credentials are configured or the proxy request carries the right ones. */
  authorizes(req: IncomingMessage): boolean {
    return this.#basic(req.headers['proxy-authorization']);
  }

  /** The same for a request to the proxy's own pages, whose credentials come as Authorization. */
  authorizesAdmin(req: IncomingMessage): boolean {
    return this.#basic(req.headers.authorization);
  }

  #basic(header: string | undefined): boolean {
    if (!this.#credentials) return true;
    const m = header ? /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
    if (!m) return false;
    const given = Buffer.from(m[1]!, 'base64');
    return given.length === this.#credentials.length && timingSafeEqual(given, this.#credentials);
  }
}

export const PROXY_AUTHENTICATE = { 'proxy-authenticate': 'Basic realm="mtls-proxy"' };
export const PROXY_AUTH_REQUIRED = 'Proxy authentication required: set the proxy credentials (listen.auth) in the client.';
