import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The one timer a client connection waits under: for its request head, for its
 * ClientHello after a CONNECT 200, for its TLS handshake, or idle between
 * requests. Arming replaces the previous deadline; when one passes, the socket
 * is destroyed. Unlike a socket idle timeout, a deadline is not pushed back by
 * each byte received, so a client trickling a head (slowloris) is still cut.
 */
export class Deadline {
  readonly #socket: Duplex;
  #timer: NodeJS.Timeout | undefined;
  /** Requests on this connection whose response is not finished yet. */
  inFlight = 0;

  constructor(socket: Duplex) {
    this.#socket = socket;
    socket.once('close', () => this.clear());
  }

  arm(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#socket.destroyed) return;
    this.#timer = setTimeout(() => this.#socket.destroy(), ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

const deadlines = new WeakMap<Duplex, Deadline>();

export function deadlineOf(socket: Duplex): Deadline {
  let deadline = deadlines.get(socket);
  if (!deadline) {
    deadline = new Deadline(socket);
    deadlines.set(socket, deadline);
  }
  return deadline;
}

/**
 * Node's own headersTimeout is enforced only for servers that listen themselves
 * (the check starts on 'listening'); the proxy's HTTP servers are handed sockets,
 * so they keep their deadlines here. Whoever hands a socket over arms its first
 * deadline; a complete head clears it, and once the last response on a kept-alive
 * connection is finished the next head must be complete within `idleMs()`, read then (a reload may change it).
 */
export function enforceHeadDeadlines(server: Server, idleMs: () => number): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const deadline = deadlineOf(req.socket);
    deadline.clear();
    deadline.inFlight++;
    res.once('close', () => {
      if (--deadline.inFlight === 0) deadline.arm(idleMs());
    });
  });
  // The socket leaves HTTP: upgrades keep time of their own. (A CONNECT is cleared by
  // its handler: a 'connect' listener here would stop Node from closing a CONNECT sent
  // to the inner server, which has none.)
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => deadlineOf(socket).clear());
}
