import { connect, type Socket } from 'node:net';
import { MtlsProxyError } from '../errors.js';
import { formatAuthority } from '../match/host.js';
import { dialThroughProxy } from './upstream-proxy.js';

/** Where a TCP connection goes: the dialled address, possibly through upstream.proxy. */
export interface TcpTarget {
  readonly address: string;
  readonly port: number;
  readonly via: URL | null;
}

/** Where a TCP leg goes, for logs and messages: `address` host:port, `via` the upstream proxy (never its credentials). */
export function describeTcpTarget(target: TcpTarget): { address: string; via?: string } {
  const address = formatAuthority(target.address, target.port);
  return target.via ? { address, via: `${target.via.hostname}:${target.via.port || 80}` } : { address };
}

/**
 * Opens the TCP leg to an upstream (directly or through a CONNECT on the upstream
 * proxy) under timeouts.connect. `label` names the host as the user wrote it.
 */
export function dialTcp(target: TcpTarget, timeoutMs: number, label: string): Promise<Socket> {
  if (target.via) return dialThroughProxy(target.via, target.address, target.port, timeoutMs);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.address, port: target.port, noDelay: true, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MtlsProxyError('ERR_UPSTREAM_CONNECT_TIMEOUT', `Connecting to ${label} (${formatAuthority(target.address, target.port)}) timed out.`));
    }, timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
