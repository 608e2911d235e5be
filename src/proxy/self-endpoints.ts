import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyContext } from './context.js';
import { respondText } from './respond.js';

/** Requests addressed to the proxy itself (origin-form), not to be proxied. */
export function serveSelf(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, path: string): void {
  const pathname = path.split('?', 1)[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    respondText(res, 405, 'Only GET is served by the proxy itself.', { allow: 'GET, HEAD' });
    return;
  }
  switch (pathname) {
    case '/ca.crt': {
      const body = ctx.ca.certPem;
      res.writeHead(200, {
        'content-type': 'application/x-pem-file',
        'content-disposition': 'attachment; filename="mtls-proxy-ca.crt"',
        'content-length': Buffer.byteLength(body),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    case '/healthz': {
      const body = '{"status":"ok"}';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    default:
      respondText(
        res,
        404,
        'This is mtls-proxy, a forward proxy: set it as your HTTP and HTTPS proxy. It serves /ca.crt and /healthz itself.',
      );
  }
}
