import type { IncomingMessage, ServerResponse } from 'node:http';
import { respondText } from '../proxy/respond.js';
import { caCertEndpoint } from './ca-cert.js';
import { consoleIcon, consolePage, consoleScript, consoleStyle } from './console-files.js';
import { consoleStateEndpoint } from './console-state.js';
import type { AdminContext, AdminEndpoint, AdminResponse, AdminStream } from './endpoint.js';
import { eventsEndpoint } from './events.js';
import { healthzEndpoint } from './healthz.js';
import { metricsEndpoint } from './metrics.js';
import { pacEndpoint } from './pac.js';
import { probeEndpoint } from './probe.js';

const ENDPOINTS = new Map<string, AdminEndpoint | AdminStream>([
  ['/', consolePage],
  ['/ca.crt', caCertEndpoint],
  ['/healthz', healthzEndpoint],
  ['/proxy.pac', pacEndpoint],
  ['/metrics', metricsEndpoint],
  ['/console.css', consoleStyle],
  ['/console.js', consoleScript],
  ['/favicon.svg', consoleIcon],
  ['/api/events', eventsEndpoint],
  ['/api/probe', probeEndpoint],
]);
ENDPOINTS.set('/api/console', consoleStateEndpoint(ENDPOINTS));

const AUTHENTICATE = { 'www-authenticate': 'Basic realm="mtls-proxy"' };

/**
 * A request addressed to the proxy itself (origin-form on its own port), never
 * one proxied to another host. With listen.auth, the pages that show traffic
 * and configuration take the same credentials as Authorization.
 */
export async function serveAdmin(ctx: AdminContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const endpoint = ENDPOINTS.get(path.split('?', 1)[0]!);
  if (!endpoint) {
    respondText(res, 404, `This is mtls-proxy, a forward proxy: set it as your HTTP and HTTPS proxy. It serves ${[...ENDPOINTS.keys()].join(', ')} itself.`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    respondText(res, 405, 'Only GET is served by the proxy itself.', { allow: 'GET, HEAD' });
    return;
  }
  if (!endpoint.open && !ctx.access.authorizesAdmin(req)) {
    respondText(res, 401, 'Authentication required: this page takes the proxy credentials (listen.auth).', AUTHENTICATE);
    return;
  }
  if ('stream' in endpoint) {
    endpoint.stream(ctx, req, res);
    return;
  }
  let answer: AdminResponse;
  try {
    answer = await endpoint.answer(ctx, req);
  } catch {
    respondText(res, 500, 'The proxy failed to build this page.');
    return;
  }
  const { status = 200, contentType, body, headers } = answer;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(req.method === 'HEAD' ? undefined : body);
}
