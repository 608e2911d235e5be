import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, type CertificateAuthority } from '../../src/tls/ca.js';
import { createLeafKey } from '../../src/tls/leaf.js';
import { LeafContexts } from '../../src/tls/leaf-cache.js';
import { makeCa, writeFiles } from '../helpers/pki.js';

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let server: net.Server;
let port: number;
/** The host the loopback server presents a leaf for, set by each handshake. */
let servedHost = '';
let contexts: LeafContexts;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-leaf-cache-'));

beforeAll(async () => {
  ca = await loadOrCreateCa({ dir: path.join(dir, 'ca') }, null);
  otherCa = await loadOrCreateCa({ dir: path.join(dir, 'other-ca') }, null);
  contexts = new LeafContexts(ca);
  // As the proxy does after CONNECT: wrap an accepted socket with the context for its host.
  server = net.createServer((socket) => {
    const downstream = new tls.TLSSocket(socket, { isServer: true, secureContext: contexts.secureContext(servedHost) });
    downstream.on('error', () => socket.destroy()); // a client refusing the leaf is what some tests expect
    downstream.on('secure', () => downstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Connects a TLS client that trusts `trusted` and expects `host`; resolves with the leaf it accepted. */
function handshake(host: string, options: { trusted?: string; expectedHost?: string } = {}): Promise<X509Certificate> {
  servedHost = host;
  const expectedHost = options.expectedHost ?? host;
  return new Promise((resolve, reject) => {
    const client = tls.connect({
      host: '127.0.0.1',
      port,
      // RFC 6066 has no SNI for IP literals; node then checks the certificate against `host`.
      servername: net.isIP(expectedHost) === 0 ? expectedHost : undefined,
      ca: [options.trusted ?? ca.certPem],
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(expectedHost, cert),
    });
    client.on('secureConnect', () => {
      const leaf = client.getPeerX509Certificate();
      client.end();
      if (client.authorized && leaf) resolve(leaf);
      else reject(new Error(`not authorized: ${String(client.authorizationError)}`));
    });
    client.on('error', reject);
  });
}

describe('LeafContexts', () => {
  it.each(['api.example.com', '127.0.0.1', '::1'])('terminates TLS for %s with a leaf the client trusts', async (host) => {
    const leaf = await handshake(host);
    expect(leaf.checkIssued(ca.cert)).toBe(true);
    expect(net.isIP(host) === 0 ? leaf.checkHost(host) : leaf.checkIP(host)).toBe(host);
  });

  it('is refused by a client expecting another host', async () => {
    await expect(handshake('api.example.com', { expectedHost: 'www.example.com' })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    await expect(handshake('127.0.0.1', { expectedHost: '::1' })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('is refused by a client that trusts another CA', async () => {
    await expect(handshake('api.example.com', { trusted: otherCa.certPem })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  it('mints once per host and keeps serving the same leaf', async () => {
    const first = await handshake('cached.example.com');
    const second = await handshake('cached.example.com');
    expect(second.serialNumber).toBe(first.serialNumber);
    expect(contexts.secureContext('cached.example.com')).toBe(contexts.secureContext('cached.example.com'));

    const other = await handshake('other.example.com');
    expect(other.serialNumber).not.toBe(first.serialNumber);
    // One key for every leaf of a LeafContexts.
    expect(other.publicKey.equals(first.publicKey)).toBe(true);
  });

  it('forgets the least recently used host beyond max', () => {
    const small = new LeafContexts(ca, { max: 2, leafKey: createLeafKey() });
    const a = small.secureContext('a.example.com');
    const b = small.secureContext('b.example.com');
    expect(small.secureContext('a.example.com')).toBe(a);
    small.secureContext('c.example.com'); // evicts b, used least recently
    expect(small.secureContext('a.example.com')).toBe(a);
    expect(small.secureContext('b.example.com')).not.toBe(b);
  });

  it('warms up without taking a place in the cache', () => {
    const small = new LeafContexts(ca, { max: 2, leafKey: createLeafKey() });
    const a = small.secureContext('a.example.com');
    const b = small.secureContext('b.example.com');
    small.warmUp();
    expect(small.secureContext('a.example.com')).toBe(a);
    expect(small.secureContext('b.example.com')).toBe(b);
  });
});

describe('LeafContexts.secureContextSoon', () => {
  it('answers at once for a cached host', () => {
    const cached = contexts.secureContext('soon-cached.example.com');
    let got: tls.SecureContext | null = null;
    contexts.secureContextSoon('soon-cached.example.com', (_err, context) => (got = context));
    expect(got).toBe(cached);
  });

  it('mints new hosts on later turns of the event loop, one a turn, in order', async () => {
    const order: string[] = [];
    const ticks: string[] = [];
    const hosts = ['soon-a.example.com', 'soon-b.example.com', 'soon-c.example.com'];
    const done = Promise.all(
      hosts.map(
        (host) =>
          new Promise<void>((resolve) =>
            contexts.secureContextSoon(host, (err, context) => {
              expect(err).toBeNull();
              expect(context).toBe(contexts.secureContext(host));
              order.push(host);
              resolve();
            }),
          ),
      ),
    );
    expect(order).toEqual([]);
    // An immediate queued after the first mint's runs between the first and the second.
    setImmediate(() => ticks.push(`after ${order.length}`));
    await done;
    expect(order).toEqual(hosts);
    expect(ticks).toEqual(['after 1']);
  });
});

describe('LeafContexts.secureContextSoon for a client that left', () => {
  it('skips the mint of a host no longer wanted, and never calls its callback', async () => {
    const small = new LeafContexts(ca, { max: 10 });
    const delivered: string[] = [];
    let leftAlready = false;
    small.secureContextSoon('first.example.com', () => delivered.push('first'));
    small.secureContextSoon('gone.example.com', () => delivered.push('gone'), () => !leftAlready);
    const last = new Promise<void>((resolve) => small.secureContextSoon('last.example.com', () => resolve()));
    expect(small.pending).toBe(3);
    leftAlready = true;
    await last;
    expect(delivered).toEqual(['first']);
    expect(small.pending).toBe(0);
    expect(small.size).toBe(2);
  });
});

describe('a brought intermediate CA', () => {
  it('sends its chain with every leaf, so clients that trust only the root accept it', async () => {
    const root = makeCa('Brought Root');
    const intermediate = makeCa('Brought Intermediate', { issuer: root });
    const files = writeFiles(path.join(dir, 'brought'), {
      'ca.crt': intermediate.certPem + root.certPem,
      'ca.key': intermediate.keyPem,
    });
    const brought = await loadOrCreateCa({ dir: path.join(dir, 'unused'), cert: files['ca.crt']!, key: files['ca.key']! }, null);
    expect(brought.chainPem).toBe(intermediate.cert.toString());
    const leaves = new LeafContexts(brought);
    const server = net.createServer((socket) => {
      const downstream = new tls.TLSSocket(socket, { isServer: true, secureContext: leaves.secureContext('api.example.com') });
      downstream.on('error', () => socket.destroy());
      downstream.on('secure', () => downstream.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port: p } = server.address() as net.AddressInfo;
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const client = tls.connect({ host: '127.0.0.1', port: p, servername: 'api.example.com', ca: root.certPem }, () => {
          resolve(client.authorized);
          client.destroy();
        });
        client.once('error', reject);
      });
      expect(authorized).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
