import type { Socket } from 'node:net';

export interface RelayTotals {
  /** Client to server. */
  bytesUp: number;
  /** Server to client. */
  bytesDown: number;
}

/**
 * Pipes two sockets both ways with backpressure. A FIN on one side is passed
 * on as a FIN (half-close), an error on either side tears both down, and
 * `onClose` runs once both are closed. With `idleMs`, both are torn down once
 * no byte has moved either way for that long.
 */
export function relaySockets(client: Socket, server: Socket, onClose: (totals: RelayTotals) => void, idleMs?: number): void {
  const clientBase = client.bytesRead;
  const serverBase = server.bytesRead;
  const teardown = (): void => {
    client.destroy();
    server.destroy();
  };
  client.on('error', teardown);
  server.on('error', teardown);
  let open = 2;
  const closed = (): void => {
    if (--open > 0) {
      // Once one side is fully closed, nothing more can flow either way.
      teardown();
      return;
    }
    onClose({ bytesUp: client.bytesRead - clientBase, bytesDown: server.bytesRead - serverBase });
  };
  // Every byte either way is read from or written to the client socket, so its
  // idle timer alone sees the silence of both directions.
  if (idleMs !== undefined) client.setTimeout(idleMs, teardown);
  client.once('close', closed);
  server.once('close', closed);
  client.pipe(server);
  server.pipe(client);
}
