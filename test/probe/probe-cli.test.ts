import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { makeCa, writeFiles } from '../helpers/pki.js';
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from '../proxy/fixtures.js';

let pki: ProxyPki;
let accepting: TestUpstream;
let refusing: TestUpstream;
let tls12: Server;
let tls12Port: number;
let opensslServer: ChildProcess;

/**
 * OpenSSL's own server requiring a client certificate from another CA: unlike Node's,
 * which closes the connection, it refuses one with a TLS alert (unknown_ca).
 */
async function startOpensslServer(): Promise<{ child: ChildProcess; port: number }> {
  const files = writeFiles(pki.dir, { 'server.crt': pki.server.certPem, 'server.key': pki.server.keyPem, 'other-ca.pem': makeCa('OpenSSL Client CA').certPem });
  const child = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', files['server.crt']!, '-key', files['server.key']!, '-Verify', '1', '-verify_return_error', '-CAfile', files['other-ca.pem']!, '-www'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const found = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
      if (found) resolve(Number(found[1]));
    });
    child.once('exit', () => reject(new Error(`openssl s_server exited: ${out}`)));
  });
  return { child, port };
}

/** A TLS 1.2 server answering every request 204; it asks for a client certificate (without requiring one) when `ask`. */
async function startTls12(ask: boolean): Promise<Server> {
  const server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem, maxVersion: 'TLSv1.2', requestCert: ask, rejectUnauthorized: false }, (socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

beforeAll(async () => {
  pki = makeProxyPki();
  accepting = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  // Requires a client certificate from a CA that issued none of the rules' certificates.
  refusing = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: makeCa('Another Client CA').certPem });
  tls12 = await startTls12(true);
  tls12Port = (tls12.address() as AddressInfo).port;
  const openssl = await startOpensslServer();
  opensslServer = openssl.child;
  writeFileSync(
    path.join(pki.dir, 'config.yaml'),
    `upstream:
  ca: [${pki.files['server-ca.pem']}]
  resolve:
    "api.example.com:443": "127.0.0.1:${accepting.port}"
    "refuse.example.com:443": "127.0.0.1:${refusing.port}"
    "alert.example.com:443": "127.0.0.1:${openssl.port}"
    "down.example.com:443": "127.0.0.1:${await closedPort()}"
    "old.example.com:443": "127.0.0.1:${tls12Port}"
    "plain.example.net:443": "127.0.0.1:${tls12Port}"
    "plain.example.net:8443": "127.0.0.1:${accepting.port}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`,
  );
});
afterAll(async () => {
  await accepting.close();
  await refusing.close();
  tls12.close();
  opensslServer?.kill();
});

const probe = (...args: string[]): Promise<CliResult> => runCli(['probe', ...args, '-c', 'config.yaml'], { cwd: pki.dir });

describe('mtls-proxy probe', () => {
  it('exits 0 when the server accepts the certificate, naming the rule, the certificate, TLS and the HEAD status', async () => {
    const result = await probe('https://api.example.com/some/path?token=secret');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('rule:                clientCertificates[0] "*.example.com"');
    expect(result.stdout).toContain(`client certificate:  CN=alice (fingerprint256 ${pki.alice.fingerprint256}`);
    expect(result.stdout).toMatch(/tls: +TLSv1\.3, TLS_/);
    expect(result.stdout).toContain('verified:            yes, against system roots + upstream.ca (1 file)');
    expect(result.stdout).toContain('accepted: the server answered after receiving it');
    expect(result.stdout).toContain('HEAD /:              200');
    expect(result.stdout).toMatch(/\nresult: OK\n$/);
    expect(result.stdout).not.toContain('secret');
    expect(accepting.seen.at(-1)).toMatchObject({ method: 'HEAD', url: '/', clientCert: pki.alice.fingerprint256 });
  });

  it.each([
    {
      what: 'refuses the certificate with an alert: exit 1, the alert explained',
      target: 'alert.example.com',
      code: 1,
      expected: ['refused with the alert unknown_ca: the server does not trust the CA that issued the client certificate', 'result: FAILED: alert.example.com:443 (dialled 127.0.0.1:'],
    },
    {
      what: 'asks for a certificate in a TLS 1.2 handshake: said so',
      target: 'old.example.com',
      code: 0,
      expected: ['TLSv1.2, ', 'accepted: the server asked for it (TLS 1.2 CertificateRequest) and answered', 'HEAD /:              204'],
    },
    {
      what: 'answers a host with no rule: exit 0, none sent',
      target: 'plain.example.net',
      code: 0,
      expected: ['rule:                none: no client certificate is sent', 'none sent (no rule for this host:port), and the server answered'],
    },
    {
      what: 'requires a certificate from a host with no rule: exit 1',
      target: 'plain.example.net:8443',
      code: 1,
      expected: ['none sent (no rule), and the server wants one: alert certificate_required, the server requires a client certificate and got none'],
    },
  ])('a server that $what', async ({ target, code, expected }) => {
    const result = await probe(target);
    expect(result.code).toBe(code);
    for (const line of expected) expect(result.stdout).toContain(line);
  });

  it('exits 1 when the server drops the connection after receiving the certificate, as Node servers refuse one', async () => {
    const result = await probe('refuse.example.com');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('probably refused: the server closed the connection after receiving it, with no alert and no answer');
    // A FIN or an RST, as the timing goes.
    expect(result.stdout).toMatch(/result: FAILED: refuse\.example\.com:443 (closed the connection without answering HEAD \/\.|\(dialled 127\.0\.0\.1:\d+\) closed the connection before answering \(ECONNRESET\)\.)/);
    expect(refusing.seen).toEqual([]);
  });

  it('says when a TLS 1.2 server did not ask for a certificate', async () => {
    const quiet = await startTls12(false);
    const port = (quiet.address() as AddressInfo).port;
    writeFileSync(
      path.join(pki.dir, 'quiet.yaml'),
      `upstream:\n  ca: [${pki.files['server-ca.pem']}]\n  resolve:\n    "api.example.com:443": "127.0.0.1:${port}"\nclientCertificates:\n${ruleYaml(pki, 'api.example.com', 'bob')}`,
    );
    const result = await runCli(['probe', 'api.example.com', '-c', 'quiet.yaml'], { cwd: pki.dir });
    quiet.close();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('not asked for: the server sent no CertificateRequest, so none was sent');
  });

  it('exits 1 for an unreachable host, naming the address dialled', async () => {
    const result = await probe('down.example.com:443');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/result: FAILED: down\.example\.com:443 \(dialled 127\.0\.0\.1:\d+\) refused or could not take the connection \(ECONNREFUSED\)/);
    expect(result.stdout).toContain('unknown: the probe failed before the server could say');
  });

  it('exits 1 when the server certificate fails verification, and sends it nothing', async () => {
    writeFileSync(path.join(pki.dir, 'untrusted.yaml'), `upstream:\n  resolve:\n    "api.example.com:443": "127.0.0.1:${accepting.port}"\n`);
    const before = accepting.seen.length;
    const result = await runCli(['probe', 'api.example.com', '-c', 'untrusted.yaml'], { cwd: pki.dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('verified:            no (UNABLE_TO_VERIFY_LEAF_SIGNATURE), against system roots');
    expect(accepting.seen.length).toBe(before);
  });

  it('exits 2 for a configuration error and for a bad target', async () => {
    writeFileSync(path.join(pki.dir, 'broken.yaml'), 'clientCertificates:\n  - host: api.example.com\n    cert: missing.crt\n    key: missing.key\n');
    const broken = await runCli(['probe', 'api.example.com', '-c', 'broken.yaml'], { cwd: pki.dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^error: .*broken\.yaml: clientCertificates\[0\]\.(cert|key): /m);
    const bad = await probe('ftp://api.example.com/');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: "ftp://" URLs do not go through the proxy');
    expect((await runCli(['probe'], { cwd: pki.dir })).code).toBe(2);
  });
});
