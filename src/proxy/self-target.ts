import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Routes } from '../upstream/route.js';

/** An address (canonical, IPv6 unbracketed) and port. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** RFC 9209 §2.3.3: the proxy was asked to forward to itself. */
export const PROXY_LOOP_STATUS = 'mtls-proxy; error=proxy_loop_detected';

/** `::ffff:a.b.c.d` and its hex spelling `::ffff:7f00:1` (the WHATWG form) are the IPv4 address. */
function unmapped(address: string): string {
  const lower = address.toLowerCase();
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return lower;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

const isUnspecified = (address: string): boolean => address === '0.0.0.0' || address === '::';
/** RFC 6761 §6.3: localhost names are the loopback. */
const isLocalhostName = (address: string): boolean => address === 'localhost' || address.endsWith('.localhost');
const isLoopbackAddress = (address: string): boolean => address === '::1' || (isIPv4(address) && address.startsWith('127.'));

/**
 * Whether a TCP connection to `target` lands on the listener at `listening`:
 * the same port, and the bound address itself; for a loopback listener, also a
 * localhost name or an unspecified address (connecting to 0.0.0.0 reaches the
 * loopback); for one bound to every address (0.0.0.0, ::), any loopback or
 * interface address of this machine (`localAddresses`, asked only then).
 */
export function isSelf(target: Endpoint, listening: Endpoint, localAddresses: () => readonly string[]): boolean {
  if (target.port !== listening.port) return false;
  const address = unmapped(target.address);
  const bound = unmapped(listening.address);
  if (address === bound) return true;
  if (isLoopbackAddress(bound)) return isLocalhostName(address) || isUnspecified(address);
  if (!isUnspecified(bound)) return false;
  return (
    isLocalhostName(address) ||
    isLoopbackAddress(address) ||
    isUnspecified(address) ||
    localAddresses().some((local) => unmapped(local) === address)
  );
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
}

export type SelfTargetCheck = (host: string, port: number) => boolean;

/**
 * Decides, for a CONNECT or absolute-form host:port, whether the proxy would dial
 * itself: where upstream.resolve sends the name, or the upstream proxy when one is used.
 */
export function selfTargetCheck(routes: Routes, listening: Endpoint): SelfTargetCheck {
  return (host, port) => {
    const tcp = routes.tcpTarget(host, port);
    const dialled = tcp.via
      ? { address: tcp.via.hostname.replace(/^\[|\]$/g, ''), port: Number(tcp.via.port || (tcp.via.protocol === 'https:' ? 443 : 80)) }
      : tcp;
    return isSelf(dialled, listening, interfaceAddresses);
  };
}
