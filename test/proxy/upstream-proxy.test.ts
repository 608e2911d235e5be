import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { startUpstream, type SeenRequest, type TestUpstream } from '../helpers/upstream.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from './fixtures.js';

/** A minimal corporate proxy: answers CONNECT (checking Basic credentials) and records each target. */
async function startCorpProxy(credentials: string): Promise<{ server: Server; port: number; targets: string[]; auth: (string | undefined)[] }> {
  const targets: string[] = [];
  const auth: (string | undefined)[] = [];
  const server = createServer((client: Socket) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.off('data', onData);
      const [requestLine, ...lines] = head.slice(0, end).split('\r\n');
      const target = requestLine!.split(' ')[1]!;
      const given = lines.find((l) => l.toLowerCase().startsWith('proxy-authorization:'))?.slice(20).trim();
      targets.push(target);
      auth.push(given);
      if (given !== `Basic ${Buffer.from(credentials).toString('base64')}`) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
      const server = connect({ host, port }, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        client.pipe(server).pipe(client);
      });
      server.on('error', () => client.destroy());
      client.on('error', () => server.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, targets, auth };
}

let pki: ProxyPki;
let upstream: TestUpstream;
let corp: Awaited<ReturnType<typeof startCorpProxy>>;
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeProxyPki();
  upstream = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem });
  corp = await startCorpProxy('me:s3cret pass');
  const at = `127.0.0.1:${upstream.port}`;
  proxy = await startTestProxy(
    `upstream:
  ca: ${pki.files['server-ca.pem']}
  proxy: http://me:s3cret%20pass@127.0.0.1:${corp.port}
  noProxy: [direct.example.com]
  resolve:
    "api.example.com:443": "${at}"
    "direct.example.com:443": "${at}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`,
  );
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  corp?.server.close();
});

describe('upstream.proxy', () => {
  it('reaches an intercepted host through the upstream proxy, TLS and client certificate end to end', async () => {
    const res = await httpsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as SeenRequest).clientCert).toBe(pki.alice.fingerprint256);
    // The resolve entry wins: the CONNECT names the address it gives, never the name.
    expect(corp.targets).toContain(`127.0.0.1:${upstream.port}`);
    expect(corp.targets.join(' ')).not.toContain('api.example.com');
    expect(corp.auth.at(-1)).toBe(`Basic ${Buffer.from('me:s3cret pass').toString('base64')}`);
    expect(JSON.stringify(proxy.lines)).not.toContain('s3cret');
  });

  it('goes direct for a host in noProxy', async () => {
    const before = corp.targets.length;
    const res = await httpsViaProxy({ proxyPort: proxy.port, authority: 'direct.example.com:443', ca: proxy.proxy.context.ca.certPem });
    expect(res.status).toBe(200);
    expect(corp.targets.length).toBe(before);
  });

  it('tunnels an unmatched CONNECT through the upstream proxy as well', async () => {
    const before = corp.targets.length;
    // The real server refuses a client without a certificate; what matters is the path taken.
    await httpsViaProxy({ proxyPort: proxy.port, authority: `localhost:${upstream.port}`, ca: pki.serverCa.certPem }).catch(() => undefined);
    expect(corp.targets.slice(before)).toContain(`localhost:${upstream.port}`);
  });
});

describe('upstream.proxy with a noProxy range', () => {
  it('goes direct for a name resolved into the range, and through the proxy for one resolved outside it', async () => {
    // A second loopback address, so that one range holds one upstream and not the other.
    const inRange = await startUpstream({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCa: pki.clientCa.certPem, host: '127.0.0.2' });
    const ranged = await startTestProxy(
      `upstream:
  ca: ${pki.files['server-ca.pem']}
  proxy: http://me:s3cret%20pass@127.0.0.1:${corp.port}
  noProxy: [127.0.0.2/32]
  resolve:
    "a.example.com:443": "127.0.0.2:${inRange.port}"
    "api.example.com:443": "127.0.0.1:${upstream.port}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`,
    );
    try {
      for (const host of ['a.example.com', 'api.example.com']) {
        const res = await httpsViaProxy({ proxyPort: ranged.port, authority: `${host}:443`, ca: ranged.proxy.context.ca.certPem });
        expect(res.status).toBe(200);
        expect((JSON.parse(res.body) as SeenRequest).clientCert).toBe(pki.alice.fingerprint256);
      }
      expect(inRange.seen).toHaveLength(1);
      expect(corp.targets).not.toContain(`127.0.0.2:${inRange.port}`);
      expect(corp.targets.at(-1)).toBe(`127.0.0.1:${upstream.port}`);
    } finally {
      await ranged.close();
      await inRange.close();
    }
  });
});

describe('upstream.proxy refusing the credentials', () => {
  it('answers 502 naming upstream.proxy', async () => {
    const wrong = await startTestProxy(
      `upstream:
  ca: ${pki.files['server-ca.pem']}
  proxy: http://me:wrong@127.0.0.1:${corp.port}
  resolve:
    "api.example.com:443": "127.0.0.1:${upstream.port}"
clientCertificates:
${ruleYaml(pki, '*.example.com', 'alice')}`,
    );
    try {
      const res = await httpsViaProxy({ proxyPort: wrong.port, authority: 'api.example.com:443', ca: wrong.proxy.context.ca.certPem });
      expect(res.status).toBe(502);
      expect(res.headers['proxy-status']).toBe('mtls-proxy; error=proxy_configuration_error; details="ERR_UPSTREAM_PROXY_AUTH"');
      expect(res.body).toContain('upstream.proxy');
      expect(res.body).not.toContain('wrong');
    } finally {
      await wrong.close();
    }
  });
});
