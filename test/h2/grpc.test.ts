import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminGet, parseMetrics } from '../helpers/admin.js';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js';
import { makeProxyPki, ruleYaml, type ProxyPki } from '../proxy/fixtures.js';

/**
 * grpc-js on both sides: a server that requires client certificates, and a client
 * that reaches it through the proxy the standard way (grpc_proxy), trusting only
 * the proxy's CA. Messages are raw Buffers: no .proto needed.
 */

const same = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({ path: `/test.Echo/${name}`, requestStream, responseStream, ...same });
const service = {
  unary: method('Unary', false, false),
  serverStream: method('ServerStream', false, true),
  clientStream: method('ClientStream', true, false),
  fail: method('Fail', false, false),
  hang: method('Hang', false, false),
} satisfies grpc.ServiceDefinition;

const Echo = grpc.makeGenericClientConstructor(service, 'Echo');
type EchoClient = InstanceType<typeof Echo> & {
  unary(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  unary(req: Buffer, metadata: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  serverStream(req: Buffer): grpc.ClientReadableStream<Buffer>;
  clientStream(cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientWritableStream<Buffer>;
  fail(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  hang(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
};

const STREAMED = 5;

let pki: ProxyPki;
let server: grpc.Server;
let proxy: TestProxy;
let client: EchoClient;
/** Resolved by the client when the first streamed message arrives; the server sends the rest only then. */
let firstArrived: () => void = () => {};
let onHangStarted: () => void = () => {};
let onHangCancelled: () => void = () => {};

function peerFingerprint(call: { getAuthContext?(): { sslPeerCertificate?: { raw: Buffer } } | null }): string | null {
  const raw = call.getAuthContext?.()?.sslPeerCertificate?.raw;
  return raw ? new X509Certificate(raw).fingerprint256 : null;
}

beforeAll(async () => {
  pki = makeProxyPki();
  server = new grpc.Server();
  server.addService(service, {
    unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const echoed = call.metadata.get('x-echo')[0];
      cb(null, Buffer.from(JSON.stringify({ got: call.request.toString(), clientCert: peerFingerprint(call), echoed: echoed === undefined ? null : String(echoed) })));
    },
    serverStream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      call.write(Buffer.from('0'));
      const arrived = new Promise<void>((resolve) => (firstArrived = resolve));
      void arrived.then(() => {
        for (let i = 1; i < STREAMED; i++) call.write(Buffer.from(String(i)));
        call.end();
      });
    },
    clientStream: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const parts: string[] = [];
      call.on('data', (b: Buffer) => parts.push(b.toString()));
      call.on('end', () => cb(null, Buffer.from(parts.join(','))));
    },
    fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const metadata = new grpc.Metadata();
      metadata.set('x-why', 'policy');
      cb({ code: grpc.status.PERMISSION_DENIED, details: 'not for you', metadata });
    },
    hang: (call: grpc.ServerUnaryCall<Buffer, Buffer>) => {
      call.on('cancelled', () => onHangCancelled());
      onHangStarted();
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(Buffer.from(pki.clientCa.certPem), [{ cert_chain: Buffer.from(pki.server.certPem), private_key: Buffer.from(pki.server.keyPem) }], true);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  proxy = await startTestProxy(`upstream:
  ca: ${pki.files['server-ca.pem']}
  resolve:
    "api.example.com:443": "127.0.0.1:${port}"
clientCertificates:
${ruleYaml(pki, 'api.example.com', 'alice')}`);
  // The standard way: grpc-js reads the proxy from the environment when the channel is made.
  const saved = { grpc_proxy: process.env.grpc_proxy, no_grpc_proxy: process.env.no_grpc_proxy, no_proxy: process.env.no_proxy };
  process.env.grpc_proxy = `http://127.0.0.1:${proxy.port}`;
  delete process.env.no_grpc_proxy;
  delete process.env.no_proxy;
  client = new Echo('api.example.com:443', grpc.credentials.createSsl(Buffer.from(proxy.proxy.context.ca.certPem))) as EchoClient;
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

afterAll(async () => {
  client?.close();
  server?.forceShutdown();
  await proxy?.close();
});

function unary(call: 'unary' | 'fail' | 'hang', req: string, metadata = new grpc.Metadata()): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cb = (err: grpc.ServiceError | null, res?: Buffer): void => (err ? reject(err) : resolve(res!));
    if (call === 'unary') client.unary(Buffer.from(req), metadata, cb);
    else client[call](Buffer.from(req), cb);
  });
}

describe('gRPC through the proxy', () => {
  it('makes a unary call with the rule certificate, metadata crossing, over h2 on both sides', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-echo', 'hello');
    const res = JSON.parse((await unary('unary', 'ping', metadata)).toString()) as Record<string, unknown>;
    expect(res).toEqual({ got: 'ping', clientCert: pki.alice.fingerprint256, echoed: 'hello' });
    const request = await proxy.waitForLog('request', (l) => l.path === '/test.Echo/Unary');
    expect(request).toMatchObject({ method: 'POST', status: 200, protocol: 'h2', upstreamProtocol: 'h2', clientCert: pki.alice.fingerprint256, rule: 'api.example.com' });
    const tls = await proxy.waitForLog('upstream tls', (l) => l.host === 'api.example.com');
    expect(tls).toMatchObject({ protocol: 'h2', tlsVersion: 'TLSv1.3', authorized: true });
  });

  it('streams server messages as they are sent: the first arrives before the server sends the rest', async () => {
    const call = client.serverStream(Buffer.from('go'));
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      call.on('data', (b: Buffer) => {
        got.push(b.toString());
        // Were the stream buffered anywhere, this would never run and the server never go on.
        if (got.length === 1) firstArrived();
      });
      call.on('error', reject);
      call.on('end', resolve);
    });
    expect(got).toEqual(['0', '1', '2', '3', '4']);
  });

  it('streams client messages', async () => {
    const res = await new Promise<Buffer>((resolve, reject) => {
      const call = client.clientStream((err, r) => (err ? reject(err) : resolve(r!)));
      for (const part of ['a', 'b', 'c']) call.write(Buffer.from(part));
      call.end();
    });
    expect(res.toString()).toBe('a,b,c');
  });

  it('passes a gRPC error status, its message and trailing metadata intact', async () => {
    const err = await unary('fail', 'x').then(
      () => null,
      (e: grpc.ServiceError) => e,
    );
    expect(err?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err?.details).toBe('not for you');
    expect(err?.metadata.get('x-why')).toEqual(['policy']);
  });

  it('resets the upstream stream when the client cancels its call', async () => {
    const started = new Promise<void>((resolve) => (onHangStarted = resolve));
    const cancelled = new Promise<void>((resolve) => (onHangCancelled = resolve));
    const call = client.hang(Buffer.from('x'), () => {});
    // Cancelled once the server has the call: its seeing the cancellation is what is awaited.
    await started;
    call.cancel();
    await cancelled;
    const request = await proxy.waitForLog('request', (l) => l.path === '/test.Echo/Hang');
    expect(request).toMatchObject({ aborted: true });
  });

  it('carries 50 concurrent calls on one client connection and one upstream session, each counted in the metrics', async () => {
    const metric = 'mtls_proxy_requests_total{rule="api.example.com",code="200"}';
    const counted = async (): Promise<number> => parseMetrics((await adminGet(proxy.port, '/metrics')).body).get(metric) ?? 0;
    const countedBefore = await counted();
    const before = proxy.logs('upstream tls').length;
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => unary('unary', `n${i}`)));
    expect(answers.map((a) => (JSON.parse(a.toString()) as { got: string }).got)).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}`));
    expect(proxy.logs('upstream tls').length).toBe(before);
    // Counted when each stream closes, just after its answer reached the client.
    await proxy.waitForLog('request', () => proxy.logs('request').filter((l) => typeof l.path === 'string' && l.path.endsWith('/Unary')).length >= 51);
    expect((await counted()) - countedBefore).toBe(50);
  });
});
