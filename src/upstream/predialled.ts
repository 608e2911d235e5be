import type { Socket } from 'node:net';

/** Until taken, a reset would be an 'error' with no listener. */
function destroyOnError(this: Socket): void {
  this.destroy();
}

interface Waiting {
  readonly socket: Promise<Socket>;
  readonly idle: NodeJS.Timeout;
}

/**
 * TCP connections to one route dialled as a CONNECT arrives, before its client's
 * ClientHello says whether the TLS on top will offer h2 or http/1.1: the next
 * dial of either kind takes one instead of connecting then. One left untaken for
 * `idleMs` is closed; one that fails is dropped, so the next dial tries afresh.
 */
export class PredialledSockets {
  readonly #waiting: Waiting[] = [];
  readonly #idleMs: number;

  constructor(idleMs: number) {
    this.#idleMs = idleMs;
  }

  /** Queues a connection being dialled; the function returned closes it unless a dial took it. */
  add(dialling: Promise<Socket>): () => void {
    const release = (): void => {
      if (this.#remove(entry)) void dialling.then((socket) => socket.destroy(), () => {});
    };
    const entry: Waiting = { socket: dialling, idle: setTimeout(release, this.#idleMs).unref() };
    this.#waiting.push(entry);
    dialling.then((socket) => socket.on('error', destroyOnError), () => this.#remove(entry));
    return release;
  }

  /** The oldest waiting connection, or null; it may have closed meanwhile. */
  take(): Promise<Socket> | null {
    const entry = this.#waiting.shift();
    if (!entry) return null;
    clearTimeout(entry.idle);
    return entry.socket.then((socket) => socket.off('error', destroyOnError));
  }

  /** Closes every waiting connection. */
  close(): void {
    for (const entry of this.#waiting.splice(0)) {
      clearTimeout(entry.idle);
      void entry.socket.then((socket) => socket.destroy(), () => {});
    }
  }

  #remove(entry: Waiting): boolean {
    const at = this.#waiting.indexOf(entry);
    if (at === -1) return false;
    this.#waiting.splice(at, 1);
    clearTimeout(entry.idle);
    return true;
  }
}
