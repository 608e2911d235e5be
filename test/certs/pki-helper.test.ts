import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encryptKey,
  makeCa,
  makeClientCert,
  makePkcs12,
  makeSelfSigned,
  makeServerCert,
  writeFiles,
  type TestCert,
} from '../helpers/pki.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-pki-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What `openssl pkcs12 -info` prints, stderr (the algorithms) included. */
function pkcs12Info(file: string, ...extra: string[]): string {
  const out = spawnSync('openssl', ['pkcs12', '-in', file, '-info', '-nokeys', '-passin', 'pass:secret', ...extra], { encoding: 'utf8' });
  return out.stdout + out.stderr;
}

function opensslText(file: string): string {
  return execFileSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
}

/** Completes a TLS handshake between a server with `server` and a client trusting `trust`; resolves the client's verdict. */
async function handshake(server: TestCert, trust: TestCert, servername: string, client?: TestCert): Promise<{ authorized: boolean; error?: string; peerCn?: string }> {
  let peerCn: string | undefined;
  const srv = tls.createServer({
    cert: server.certPem,
    key: server.keyPem,
    ...(client ? { requestCert: true, rejectUnauthorized: true, ca: [trust.certPem] } : {}),
  }, (socket) => {
    peerCn = String(socket.getPeerCertificate().subject?.CN);
    socket.end();
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = srv.address() as AddressInfo;
    const socket = tls.connect({
      host: '127.0.0.1', port, servername, ca: [trust.certPem], rejectUnauthorized: false,
      ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
    });
    const result = await new Promise<{ authorized: boolean; error?: string }>((resolve, reject) => {
      socket.once('secureConnect', () => resolve({ authorized: socket.authorized, error: socket.authorizationError?.toString() }));
      socket.once('error', reject);
    });
    await new Promise((resolve) => socket.once('close', resolve).resume());
    return { ...result, peerCn };
  } finally {
    srv.close();
  }
}

describe('test PKI helper', () => {
  const root = makeCa('Test Root');
  const intermediate = makeCa('Test Intermediate', { issuer: root });

  it('makes a chain that openssl verifies, with the extensions asked for', () => {
    const server = makeServerCert(intermediate, { dnsNames: ['api.example.test'], ips: ['127.0.0.1'] });
    const client = makeClientCert(intermediate, 'client');
    const files = writeFiles(dir, {
      'root.pem': root.certPem,
      'intermediate.pem': intermediate.certPem,
      'server.pem': server.certPem,
      'client.pem': client.certPem,
    });
    for (const [leaf, purpose] of [['server.pem', 'sslserver'], ['client.pem', 'sslclient']] as const) {
      const out = execFileSync('openssl', ['verify', '-purpose', purpose, '-CAfile', files['root.pem']!, '-untrusted', files['intermediate.pem']!, files[leaf]!], { encoding: 'utf8' });
      expect(out.trim()).toBe(`${files[leaf]}: OK`);
    }
    expect(opensslText(files['intermediate.pem']!)).toMatch(/CA:TRUE[\s\S]*Certificate Sign/);
    const serverText = opensslText(files['server.pem']!);
    expect(serverText).toContain('TLS Web Server Authentication');
    expect(serverText).toContain('DNS:api.example.test, IP Address:127.0.0.1');
    expect(opensslText(files['client.pem']!)).toContain('TLS Web Client Authentication');
    expect(server.cert.checkIssued(intermediate.cert)).toBe(true);
    expect(server.cert.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
  });

  it('makes a CN-only server certificate with noSan', () => {
    const server = makeServerCert(root, { commonName: 'legacy.example.test', noSan: true });
    expect(server.cert.subjectAltName).toBeUndefined();
    expect(server.cert.subject).toBe('CN=legacy.example.test');
  });

  it('puts expired and not-yet-valid validity entirely on the right side of now', () => {
    const now = Date.now();
    const expired = makeClientCert(root, 'old', { expired: true });
    expect(Date.parse(expired.cert.validTo)).toBeLessThan(now);
    const future = makeClientCert(root, 'future', { notYetValid: true });
    expect(Date.parse(future.cert.validFrom)).toBeGreaterThan(now);
    expect(Date.parse(makeCa('Old Root', { expired: true }).cert.validTo)).toBeLessThan(now);
    expect(Date.parse(makeServerCert(root, { expired: true }).cert.validTo)).toBeLessThan(now);
  });

  it('makes certificates that work in a real mTLS handshake', async () => {
    const server = makeServerCert(root, { dnsNames: ['localhost'] });
    const client = makeClientCert(root, 'mtls-client');
    const result = await handshake(server, root, 'localhost', client);
    expect(result).toEqual({ authorized: true, error: undefined, peerCn: 'mtls-client' });
  });

  it('makes a self-signed certificate that is trusted when listed as its own CA', async () => {
    const self = makeSelfSigned('self.example.test');
    expect(self.cert.subject).toBe(self.cert.issuer);
    expect(self.cert.subjectAltName).toBe('DNS:self.example.test');
    expect(await handshake(self, self, 'self.example.test')).toMatchObject({ authorized: true });
    expect(await handshake(self, root, 'self.example.test')).toMatchObject({ authorized: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('encrypts keys as PKCS#8 or traditional RSA PEM', () => {
    const key = makeClientCert(root, 'k').keyPem;
    expect(encryptKey(key, 'pw')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(encryptKey(key, 'pw', { format: 'pkcs1' })).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED/);
  });

  it('makes modern and legacy PKCS#12 files that openssl describes as such', () => {
    const client = makeClientCert(intermediate, 'p12-client');
    const files = writeFiles(dir, {
      'modern.p12': makePkcs12(client, [intermediate], 'secret'),
      'legacy.p12': makePkcs12(client, [], 'secret', { legacyRc2: true }),
    });
    const modern = pkcs12Info(files['modern.p12']!);
    expect(modern).toContain('MAC: sha256');
    expect(modern).toContain('PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC');
    expect(modern).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC');
    expect((modern.match(/BEGIN CERTIFICATE/g) ?? []).length).toBe(2);
    const legacy = pkcs12Info(files['legacy.p12']!, '-legacy');
    expect(legacy).toContain('PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC');
    expect(legacy).toContain('subject=CN = p12-client');
    expect(pkcs12Info(files['legacy.p12']!)).toContain('Algorithm (RC2-40-CBC : 0)');
  });
});
