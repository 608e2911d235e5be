import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

/**
 * A loopback port where a TCP connect hangs: a listener whose accept queue is
 * full. Its worker thread blocks right after listening, so nothing is ever
 * accepted; once the kernel's queue (backlog + 1) is filled by a few sockets
 * of ours, further SYNs are dropped and a connect waits as with a dead host.
 */
export interface Blackhole {
  readonly port: number;
  close(): Promise<void>;
}

const LISTENER = `
const { parentPort, workerData } = require('node:worker_threads');
const server = require('node:net').createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  Atomics.wait(workerData, 0, 0);
});`;

function connectsWithin(port: number, ms: number, fillers: Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    fillers.push(socket);
    socket.on('error', () => {});
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startBlackhole(): Promise<Blackhole> {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(LISTENER, { eval: true, workerData: gate });
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  const fillers: Socket[] = [];
  let full = false;
  for (let i = 0; i < 8 && !full; i++) full = !(await connectsWithin(port, 300, fillers));
  if (!full) throw new Error('the blackhole listener kept accepting connections');
  return {
    port,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await worker.terminate();
    },
  };
}
