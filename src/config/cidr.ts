import { isIP } from 'node:net';
import { canonicalHost } from '../match/host.js';

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8`, or a bare address (a one-address range).
 * Returns null when the text is not a range; the result feeds net.BlockList.addSubnet.
 * IPv6 addresses come back lowercase and compressed.
 */
export function parseCidr(text: string): Cidr | null {
  const [address = '', prefixText, ...rest] = text.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return null;
  const bits = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return null;
  return { address: canonicalHost(address), prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}
