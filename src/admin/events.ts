import type { ServerResponse } from 'node:http';
import type { FeedEvent } from '../feed/feed.js';
import { CONSOLE_HEADERS } from './console-files.js';
import type { AdminStream } from './endpoint.js';

/** A comment line now and then, so that intermediaries and browsers keep an idle stream open. */
const KEEPALIVE_MS = 20_000;

/**
 * What may wait for a reader that stopped reading (a frozen tab): beyond it the stream
 * ends, and the browser's EventSource reconnects and starts again from the ring.
 */
const MAX_UNREAD_BYTES = 1024 * 1024;

function send(res: ServerResponse, event: FeedEvent): void {
  if (res.writableLength > MAX_UNREAD_BYTES) {
    res.destroy();
    return;
  }
  res.write(`data: ${JSON.stringify(event)}\n\n`);
}

/** The live feed as server-sent events: the events kept, then each new one as it happens. */
export const eventsEndpoint: AdminStream = {
  summary: 'the live feed of requests and upstream TLS connections (server-sent events)',
  open: false,
  stream: (ctx, req, res) => {
    res.writeHead(200, { ...CONSOLE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // Something at once, so the headers leave now and the browser opens the stream.
    res.write(': mtls-proxy live feed\n\n');
    for (const event of ctx.feed.recent()) send(res, event);
    const unsubscribe = ctx.feed.subscribe((event) => send(res, event));
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    res.once('close', () => {
      unsubscribe();
      clearInterval(keepalive);
    });
  },
};
