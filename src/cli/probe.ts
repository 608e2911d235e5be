import { loadCertificateStore } from '../certs/store.js';
import { HostMatcher } from '../match/matcher.js';
import { probeUpstream } from '../probe/probe.js';
import { describeProbe } from '../probe/report.js';
import { Routes } from '../upstream/route.js';
import { UpstreamSecureContexts } from '../upstream/secure-contexts.js';
import type { CliArgs } from './args.js';
import { configFor } from './load.js';
import { targetArgument } from './match.js';

/** Connects to HOST[:PORT] as the proxy would and says what the server made of the client certificate. */
export async function probeCommand(args: CliArgs): Promise<number> {
  const { host, port } = targetArgument(args.positionals[0]!);
  const config = await configFor(args);
  const store = await loadCertificateStore(config);
  const routes = new Routes(config, new UpstreamSecureContexts(config, store));
  const report = await probeUpstream({ config, matcher: new HostMatcher(config.clientCertificates), store, routes }, host, port);
  process.stdout.write(`${describeProbe(report).join('\n')}\n`);
  return report.ok ? 0 : 1;
}
