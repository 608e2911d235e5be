import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from '../config/types.js';
import { MtlsProxyError } from '../errors.js';
import { formatAuthority } from '../match/host.js';
import { caWarnings, loadOrCreateCa } from '../tls/ca.js';
import { UsageError, type CliArgs } from './args.js';
import { configFor } from './load.js';

/** Where clients reach the proxy: a wildcard listen address on loopback; port 0 is only known once started. */
function proxyUrl(listen: Config['listen']): string {
  const host = listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host;
  const authority = formatAuthority(host, listen.port);
  return `http://${listen.port === 0 ? authority.replace(/:0$/, ':PORT') : authority}`;
}

/** How to trust the CA, per client; `pem` is a PEM file, which every one of them reads. */
function trustHelp(pem: string, proxy: string, intercept: Config['intercept']): string {
  // Tunnelled hosts show their real certificates, which a client trusting only this CA rejects.
  const replacingTrust =
    intercept === 'all'
      ? ''
      : `curl's --cacert and REQUESTS_CA_BUNDLE replace the usual trusted roots, but hosts without a rule
are tunnelled with their real certificates; for those, use a bundle of the system roots plus this CA.
`;
  return `To trust this CA in the programs that use the proxy (${pem}):
  curl:           curl --proxy ${proxy} --cacert ${pem} https://...
  Node.js:        mtls-proxy run -- node app.js, or eval "$(mtls-proxy env)" before node app.js
                  (Node 20 ignores HTTPS_PROXY; NODE_EXTRA_CA_CERTS=${pem} alone trusts the CA
                  but does not send the program's requests through the proxy)
  Python:         REQUESTS_CA_BUNDLE=${pem} python app.py   (requests; SSL_CERT_FILE for the ssl module)
  Debian/Ubuntu:  sudo cp ${pem} /usr/local/share/ca-certificates/mtls-proxy.crt && sudo update-ca-certificates
  macOS:          sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${pem}
  Windows:        certutil -addstore -f Root ${pem}
  Firefox:        Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import ${pem},
                  then tick "Trust this CA to identify websites"
${replacingTrust}The running proxy also serves the CA at ${proxy}/ca.crt
`;
}

async function writeOut(file: string, body: Buffer): Promise<void> {
  try {
    await writeFile(file, body);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'its folder does not exist' : (err as Error).message;
    throw new MtlsProxyError('ERR_OUTPUT_FILE', `cannot write ${file}: ${reason}`, { cause: err });
  }
}

/** Creates the CA if missing; prints it (PEM or DER) to stdout or --out, and how to trust it to stderr. */
export async function caCommand(args: CliArgs): Promise<number> {
  if (args.der && args.out === undefined && process.stdout.isTTY) {
    throw new UsageError('--der writes binary; send it to a file with --out FILE (or redirect stdout)');
  }
  const config = await configFor(args);
  const ca = await loadOrCreateCa(config.ca, config.file);
  if (ca.created) process.stderr.write(`created a new CA in ${config.ca.dir}\n`);
  const body = args.der ? ca.cert.raw : Buffer.from(ca.certPem);
  let pem = ca.certPath;
  if (args.out === undefined) {
    process.stdout.write(body);
  } else {
    const out = resolve(args.out);
    await writeOut(out, body);
    process.stderr.write(`wrote ${out}\n`);
    if (!args.der) pem = out;
  }
  for (const w of caWarnings(ca)) process.stderr.write(`warning: ${w}\n`);
  process.stderr.write(trustHelp(pem, proxyUrl(config.listen), config.intercept));
  return 0;
}
