import { connect } from 'node:net';
import { readRawResponse } from './proxy-client.js';

export interface AdminAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * GET `path` from the proxy itself, on a connection of its own that closes with
 * the answer, sending exactly these header lines (none: not even Host, as
 * HTTP/1.0 allows).
 */
export async function adminGet(port: number, path: string, headerLines: string[] = [`Host: 127.0.0.1:${port}`], method = 'GET'): Promise<AdminAnswer> {
  const socket = connect(port, '127.0.0.1');
  socket.write(`${method} ${path} HTTP/1.0\r\n${headerLines.map((line) => `${line}\r\n`).join('')}\r\n`);
  const res = await readRawResponse(socket, { untilClose: true });
  socket.destroy();
  return { status: res.status, headers: res.headers, body: res.body.toString() };
}

/** Prometheus text format: every sample line as `name{labels}` -> value (label order as written). */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

export const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;
