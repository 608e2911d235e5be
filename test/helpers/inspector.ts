/**
 * A full garbage collection in a process started with NODE_OPTIONS=--inspect=127.0.0.1:0,
 * through its inspector. V8 leaves garbage in place until allocation needs the room, so
 * RSS read without one says when V8 last collected, not what the process holds on to.
 */
import { WebSocket } from 'undici';

export const INSPECT_ON_LOOPBACK = { NODE_OPTIONS: '--inspect=127.0.0.1:0' };

/** `stderr`: what the process wrote there so far; its first inspector address is the one used. */
export async function collectGarbage(stderr: string): Promise<void> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
  if (url === undefined) throw new Error(`no inspector address on stderr: ${stderr}`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const done = new Promise((resolve) => {
    ws.onmessage = (event) => {
      if ((JSON.parse(String(event.data)) as { id?: number }).id === 1) resolve(undefined);
    };
  });
  ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
  await done;
  ws.close();
}
