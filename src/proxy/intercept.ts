import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { clientRefusedCertificate } from './client-tls-error.js';
import { keyLogWriter } from '../log/keylog.js';
import type { ProxyContext, InterceptedTarget } from './context.js';
import { deadlineOf } from './deadline.js';
import { serveH2 } from '../h2/downstream.js';

const TLS_HANDSHAKE_RECORD = 0x16;

/** The decrypted sockets and the CONNECT each belongs to; read by the inner HTTP server. */
export const interceptedTargets = new WeakMap<Socket, InterceptedTarget>();

/** Resolves with the first bytes the client sends after the 200, or null if it closes first. */
export function firstBytes(socket: Socket, head: Buffer): Promise<Buffer | null> {
  if (head.length > 0) return Promise.resolve(head);
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      cleanup();
      socket.pause();
      resolve(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(null);
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}

export function isTlsClientHello(bytes: Buffer): boolean {
  return bytes[0] === TLS_HANDSHAKE_RECORD;
}

const NOTHING = Buffer.alloc(0);
/** RFC 8446 §5.1: no plaintext record carries more. */
const MAX_RECORD_LENGTH = 2 ** 14;

/** How many bytes the first record needs in all; 0 when that is not worth waiting for. */
function recordSize(bytes: Buffer): number {
  // Record header: type (1), version (2), length (2).
  if (bytes.length < 5) return 5;
  const length = bytes.readUInt16BE(3);
  // A header that claims more is TLS's to refuse, at once.
  return length > MAX_RECORD_LENGTH ? 0 : 5 + length;
}

/**
 * The first TLS record whole, from its first bytes: a ClientHello split over TCP
 * segments (a browser's with post-quantum key shares outgrows one) is read to its
 * end, so its ALPN offer is seen. What came is returned if the client goes first.
 */
export async function wholeFirstRecord(socket: Socket, first: Buffer): Promise<Buffer> {
  let bytes = first;
  while (bytes.length < recordSize(bytes)) {
    const next = firstBytes(socket, NOTHING);
    // firstBytes paused the socket after the bytes before.
    socket.resume();
    const more = await next;
    if (more === null) return bytes;
    bytes = Buffer.concat([bytes, more]);
  }
  return bytes;
}

/**
 * Terminates the client's TLS in-process on the CONNECT socket itself, with the
 * leaf minted for the CONNECT host, and hands the decrypted socket to the inner
 * HTTP server, or to the h2 server when the client chose h2. `first` goes back into the socket so the handshake reads it.
 */
export function terminateClientTls(ctx: ProxyContext, inner: Server, socket: Socket, first: Buffer, target: InterceptedTarget): void {
  ctx.leaves.secureContextSoon(target.host, (err, secureContext) => {
    if (err || !secureContext) {
      target.log.error({ host: target.host, port: target.port, error: err?.message }, 'leaf certificate failed');
      socket.destroy();
      return;
    }
    if (socket.destroyed) return;
    socket.unshift(first);
    serveDecrypted(ctx, inner, socket, secureContext, target);
  }, () => !socket.destroyed);
}

function serveDecrypted(ctx: ProxyContext, inner: Server, socket: Socket, secureContext: SecureContext, target: InterceptedTarget): void {
  const downstream = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['h2', 'http/1.1'] });
  // Only when asked: a 'keylog' listener makes OpenSSL hand every secret to JavaScript.
  if (ctx.keylogFile !== undefined) downstream.on('keylog', keyLogWriter(ctx.keylogFile));
  // The handshake, then the first request head, each within timeouts.handshake.
  const handshakeMs = ctx.config.timeouts.handshake * 1000;
  const deadline = deadlineOf(downstream);
  deadline.arm(handshakeMs);
  downstream.once('secure', () => {
    // h2 has no head deadline: its session is bounded by timeouts.idle instead.
    if (downstream.alpnProtocol === 'h2') {
      deadline.clear();
      serveH2(inner, downstream, target);
      return;
    }
    deadline.arm(handshakeMs);
    inner.emit('connection', downstream);
  });
  downstream.on('error', (err: Error & { code?: string }) => {
    // Usually the client does not trust the proxy's CA yet: say what to do.
    const refused = clientRefusedCertificate(err.code, ctx.ca.certPath);
    const error = refused === null ? { error: err.message } : { error: refused, detail: err.message };
    target.log.warn({ host: target.host, port: target.port, code: err.code ?? 'UNKNOWN', ...error }, 'client tls error');
    downstream.destroy();
  });
  downstream.once('close', () => socket.destroy());
  interceptedTargets.set(downstream, target);
}
