import { HostError } from '../errors.js';
import { parseTarget } from '../match/target.js';
import { probeUpstream } from '../probe/probe.js';
import { describeProbe } from '../probe/report.js';
import { CONSOLE_HEADERS } from './console-files.js';
import type { AdminEndpoint } from './endpoint.js';

/** `GET /api/probe?target=HOST[:PORT]|URL`: the probe, run with the config in force, as JSON. */
export const probeEndpoint: AdminEndpoint = {
  summary: 'probe a host as the proxy would: ?target=HOST[:PORT] or a URL',
  open: false,
  answer: async (ctx, req) => {
    const target = new URL(req.url ?? '/', 'http://proxy').searchParams.get('target') ?? '';
    const json = (body: unknown): { contentType: string; body: string; headers: Readonly<Record<string, string>> } => ({
      contentType: 'application/json',
      body: JSON.stringify(body),
      headers: CONSOLE_HEADERS,
    });
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
