import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { caWarnings, loadOrCreateCa } from '../tls/ca.js';
import type { CliArgs } from './args.js';
import { configFor } from './load.js';

function trustHelp(path: string): string {
  return `Trust this CA in the clients that use the proxy (the file: ${path}):
  curl:     curl --proxy http://127.0.0.1:8080 --cacert ${path} https://...
  Node.js:  NODE_EXTRA_CA_CERTS=${path} node app.js
  Python:   REQUESTS_CA_BUNDLE=${path} python app.py   (requests; SSL_CERT_FILE for others)
  Debian/Ubuntu: sudo cp ${path} /usr/local/share/ca-certificates/mtls-proxy.crt && sudo update-ca-certificates
  macOS:    sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${path}
  Windows:  certutil -addstore -f Root ${path}
  Firefox:  Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import
  The proxy also serves it at http://<proxy>/ca.crt
`;
}

/** Creates the CA if missing; prints it (PEM or DER) to stdout or --out, and how to trust it to stderr. */
export async function caCommand(args: CliArgs): Promise<number> {
  const config = await configFor(args);
  const ca = await loadOrCreateCa(config.ca, config.file);
  const body = args.der ? ca.cert.raw : Buffer.from(ca.certPem);
  let shown = ca.certPath;
  if (args.out !== undefined) {
    shown = resolve(args.out);
    writeFileSync(shown, body);
    process.stderr.write(`wrote ${shown}\n`);
  } else {
    process.stdout.write(body);
  }
  if (ca.created) process.stderr.write(`created a new CA in ${config.ca.dir}\n`);
  for (const w of caWarnings(ca)) process.stderr.write(`warning: ${w}\n`);
  process.stderr.write(trustHelp(shown));
  return 0;
}
