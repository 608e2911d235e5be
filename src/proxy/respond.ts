import type { ServerResponse } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';

/** A short plain-text answer from the proxy itself. */
export function respondText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = `${body}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** The same on a raw socket (CONNECT and parse errors have no ServerResponse). */
export function respondOnSocket(socket: Socket, status: number, body: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const payload = `${body}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'content-type: text/plain; charset=utf-8',
    `content-length: ${Buffer.byteLength(payload)}`,
    'connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${payload}`);
  // Whatever else the client sends is discarded, so that its close is seen and
  // the socket freed; unread, it would stay open for good.
  socket.resume();
}

/** The same on an h2 stream; the rest of the request body, if any, is read and dropped. */
export function respondOnStream(stream: ServerHttp2Stream, status: number, body: string, headers: Record<string, string> = {}): void {
  if (stream.headersSent || stream.destroyed) return;
  const payload = `${body}\n`;
  stream.respond({
    ':status': status,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  stream.end(payload);
  stream.resume();
}
