/** nginx from Debian as the mTLS upstream: TLS 1.3, h2 and HTTP/1.1 by ALPN, `ssl_verify_client on`. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchPki } from './pki.js';
import { freePort } from './process/free-port.js';
import { startService, waitForPort, type Service } from './process/service.js';
import { PATHS, type UpstreamFiles } from './upstream-layout.js';

/** nginx's version, or null when it is not installed. */
export function nginxVersion(): string | null {
  // nginx -v prints to stderr.
  const result = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return null;
  return /nginx\/(\S+)/.exec(result.stderr + result.stdout)?.[1] ?? 'unknown';
}

function nginxConf(files: UpstreamFiles, pki: BenchPki, port: number): string {
  return `
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 16384;
pid ${path.join(files.dir, 'nginx.pid')};
error_log ${path.join(files.dir, 'error.log')} warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${path.join(files.dir, 'tmp-body')};
  proxy_temp_path ${path.join(files.dir, 'tmp-proxy')};
  fastcgi_temp_path ${path.join(files.dir, 'tmp-fastcgi')};
  uwsgi_temp_path ${path.join(files.dir, 'tmp-uwsgi')};
  scgi_temp_path ${path.join(files.dir, 'tmp-scgi')};
  default_type application/octet-stream;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:${port} ssl http2;
    server_name _;
    ssl_protocols TLSv1.3;
    ssl_certificate ${pki.serverCert};
    ssl_certificate_key ${pki.serverKey};
    ssl_client_certificate ${pki.clientCa};
    ssl_verify_client on;
    location = ${PATHS.small} { return 200 "ok\\n"; }
    location = ${PATHS.whoami} { return 200 "$ssl_client_verify $ssl_client_s_dn\\n"; }
    location = ${PATHS.protocol} { return 200 "$server_protocol\\n"; }
    location /files/ { alias ${files.filesDir}/; }
  }
}
`;
}

export async function startNginx(files: UpstreamFiles, pki: BenchPki): Promise<{ service: Service; port: number }> {
  const port = await freePort();
  const conf = path.join(files.dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(files, pki, port));
  const service = startService({
    name: 'nginx',
    command: 'nginx',
    // -e: the error log before the config is read; the default path may not be writable.
    args: ['-p', files.dir, '-c', conf, '-e', path.join(files.dir, 'error.log')],
    logFile: path.join(files.dir, 'stdout.log'),
  });
  await waitForPort(service, port);
  return { service, port };
}
