/** The load-client process: runs one job at a time for the harness over IPC. */
import { runJob } from './jobs.js';
import type { FromClient, ToClient } from './protocol.js';

const releases = new Map<number, () => void>();

function send(message: FromClient): void {
  process.send?.(message);
}

process.on('message', (message: ToClient) => {
  if (message.type === 'release') {
    releases.get(message.id)?.();
    return;
  }
  const { id, job } = message;
  const released = new Promise<void>((resolve) => releases.set(id, resolve));
  runJob(job, { mark: (name) => send({ type: 'mark', id, name }), released: () => released })
    .then((result) => send({ type: 'result', id, result }))
    .catch((err: unknown) => send({ type: 'error', id, message: err instanceof Error ? err.message : String(err) }))
    .finally(() => releases.delete(id));
});

// Leave with the harness, never outlive it.
process.on('disconnect', () => process.exit(0));
