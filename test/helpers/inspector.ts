/**
 * A full garbage collection in a process started with NODE_OPTIONS=--inspect=127.0.0.1:0,
 * through its inspector, and the V8 heap it holds on to after it. V8 leaves garbage in
 * place until allocation needs the room, and malloc keeps freed pages for reuse, so RSS
 * says when memory was last needed; the heap after a collection says what is still held.
 */
import { WebSocket } from 'undici';

export const INSPECT_ON_LOOPBACK = { NODE_OPTIONS: '--inspect=127.0.0.1:0' };

/**
 * Collects garbage and returns the bytes of V8 heap still used.
 * `stderr`: what the process wrote there so far; its first inspector address is the one used.
 */
export async function heapUsedAfterGc(stderr: string): Promise<number> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
  if (url === undefined) throw new Error(`no inspector address on stderr: ${stderr}`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const replies = new Map<number, (result: unknown) => void>();
  ws.onmessage = (event) => {
    const reply = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (reply.id !== undefined) replies.get(reply.id)?.(reply.result);
  };
  const call = (id: number, method: string): Promise<unknown> =>
    new Promise((resolve) => {
      replies.set(id, resolve);
      ws.send(JSON.stringify({ id, method }));
    });
  try {
    await call(1, 'HeapProfiler.collectGarbage');
    const { usedSize } = (await call(2, 'Runtime.getHeapUsage')) as { usedSize: number };
    return usedSize;
  } finally {
    ws.close();
  }
}
