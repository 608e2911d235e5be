import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsViaProxy } from '../helpers/proxy-client.js';
import { startTestProxy } from '../helpers/test-proxy.js';
import { makeProxyPki, startOneUpstream, type OneUpstream } from '../proxy/fixtures.js';

/** The client random of each handshake a key log names (NSS key log format: LABEL CLIENT_RANDOM SECRET). */
function clientRandoms(text: string): Set<string> {
  return new Set(text.trim().split('\n').map((line) => line.split(' ')[1]!));
}

describe('log.keylog', () => {
  let setup: OneUpstream;

  beforeAll(async () => {
    setup = await startOneUpstream('api.example.com', 'log:\n  keylog: keys/../tls-keys.log\n');
  });
  afterAll(() => setup?.close());

  it('appends the secrets of both handshakes to a file of mode 0600, relative to the config file, and warns at start', async () => {
    const { proxy, upstream } = setup;
    const upstreamRandoms = new Set<string>();
    upstream.server.on('keylog', (line: Buffer) => upstreamRandoms.add(line.toString().split(' ')[1]!));
    const res = await httpsViaProxy({ proxyPort: proxy.port, authority: 'api.example.com:443', ca: proxy.proxy.context.ca.certPem });
    expect(res.status).toBe(200);
    const file = path.join(proxy.dir, 'tls-keys.log');
    // The writes are asynchronous: the request's answer may arrive before the last line is on disk.
    await expect.poll(() => clientRandoms(readFileSync(file, 'utf8')).size, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    const text = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // One handshake is the upstream one (the upstream server saw its client random), the other the client's with the proxy.
    const randoms = [...clientRandoms(text)];
    expect(upstreamRandoms.size).toBe(1);
    expect(randoms).toContain([...upstreamRandoms][0]);
    expect(randoms.filter((random) => !upstreamRandoms.has(random)).length).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) [0-9a-f]{64} [0-9a-f]+$/m);
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/);
    const warn = proxy.logs('TLS secrets of both sides are written to the key log file; anyone holding it can decrypt the traffic');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ level: 40, file });
  });
});

describe('$SSLKEYLOGFILE', () => {
  it('is the key log when log.keylog is unset', async () => {
    const dir = makeProxyPki().dir;
    const file = path.join(dir, 'from-env.log');
    const proxy = await startTestProxy('intercept: all\n', { env: { SSLKEYLOGFILE: file } });
    try {
      expect(proxy.proxy.context.config.log.keylog).toBe(file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      await proxy.close();
    }
  });

  it('is not used when log.keylog is set, and no key log is opened without either', async () => {
    const withKeylog = await startTestProxy('log:\n  keylog: ./mine.log\n', { env: { SSLKEYLOGFILE: '/nonexistent/other.log' } });
    const without = await startTestProxy('', { env: {} });
    try {
      expect(withKeylog.proxy.context.config.log.keylog).toBe(path.join(withKeylog.dir, 'mine.log'));
      expect(without.proxy.context.config.log.keylog).toBeUndefined();
      expect(without.logs('TLS secrets of both sides are written to the key log file; anyone holding it can decrypt the traffic')).toHaveLength(0);
    } finally {
      await withKeylog.close();
      await without.close();
    }
  });

  it('a key log that cannot be opened stops start with an error naming log.keylog', async () => {
    await expect(startTestProxy('log:\n  keylog: ./no/such/folder/keys.log\n')).rejects.toThrow(/log\.keylog: cannot open .*keys\.log for appending \(ENOENT\)/);
  });
});
