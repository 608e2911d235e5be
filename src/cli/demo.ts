import { runDemo } from '../demo/run.js';

/** Runs the demo and prints what happened, a step a line. Resolves with the exit code. */
export async function demoCommand(): Promise<number> {
  const report = await runDemo();
  const same = report.presented.fingerprint256 === report.seen.fingerprint256;
  const lines: Array<[string, string]> = [
    ['folder', `${report.folder} (throwaway CAs, client certificate and key)`],
    ['upstream', `https://${report.proxy.rule} on 127.0.0.1:${report.upstreamPort}, requires a client certificate from the demo CA`],
    ['proxy', `127.0.0.1:${report.proxy.port}, rule "${report.proxy.rule}" with the demo client certificate`],
    ['sent', `GET ${report.url} through the proxy (CONNECT, TLS trusting the proxy's CA), no certificate of its own`],
    ['presented', `${report.presented.subject} fingerprint256 ${report.presented.fingerprint256}`],
    ['upstream saw', `${report.seen.subject} fingerprint256 ${report.seen.fingerprint256}`],
    [
      'result',
      same
        ? `${report.status}: the upstream received the client certificate the proxy presented`
        : `${report.status}, but the upstream received another certificate than the one presented`,
    ],
    ['removed', report.folder],
  ];
  process.stdout.write(lines.map(([label, text]) => `${`${label}:`.padEnd(14)}${text}\n`).join(''));
  if (!same) process.stderr.write('error: the upstream saw another certificate than the proxy presented\n');
  return same ? 0 : 1;
}
