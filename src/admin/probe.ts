import { HostError } from '../errors.js';
import { parseTarget } from '../match/target.js';
import { probeUpstream } from '../probe/probe.js';
import { describeProbe } from '../probe/report.js';
import { CONSOLE_HEADERS } from './console-files.js';
import type { AdminEndpoint, AdminResponse } from './endpoint.js';

function json(body: unknown): AdminResponse {
  return { contentType: 'application/json', body: JSON.stringify(body), headers: CONSOLE_HEADERS };
}

/** `GET /api/probe?target=HOST[:PORT]|URL`: the probe, run with the config in force, as JSON. */
export const probeEndpoint: AdminEndpoint = {
  summary: 'probe a host as the proxy would: ?target=HOST[:PORT] or a URL',
  open: false,
  answer: async (ctx, req) => {
    // A header no cross-site <img> or <form> can send (and a cross-site fetch only after a
    // preflight the proxy never answers): another site cannot make the proxy dial.
    if (req.headers['x-mtls-proxy-console'] !== '1') {
      return json({ ok: false, lines: ['The probe answers the console only: send the header X-Mtls-Proxy-Console: 1.'] });
    }
    const target = new URL(req.url ?? '/', 'http://proxy').searchParams.get('target') ?? '';
    let parsed;
    try {
      parsed = parseTarget(target.trim());
    } catch (err) {
      if (err instanceof HostError) return json({ ok: false, lines: [err.message] });
      throw err;
    }
    const report = await probeUpstream(ctx, parsed.host, parsed.port);
    return json({ ok: report.ok, lines: describeProbe(report) });
  },
};
