import { describe, expect, it } from 'vitest';
import { checkH2Request, downstreamH2Headers, upstreamH2Headers, upstreamHttp1Headers, type H2Request } from '../../src/h2/request.js';

const head = (extra: Record<string, string> = {}) => ({ ':method': 'GET', ':path': '/a?b=1', ':scheme': 'https', ':authority': 'api.example.com', ...extra });

describe('checkH2Request', () => {
  it('accepts a request for the CONNECT host, with or without its port', () => {
    expect(checkH2Request(head(), 'api.example.com', 443)).toEqual({ method: 'GET', path: '/a?b=1', authority: 'api.example.com' });
    expect(checkH2Request(head({ ':authority': 'api.example.com:443' }), 'api.example.com', 443)).toMatchObject({ authority: 'api.example.com:443' });
  });

  it('answers 421 for another host or port in :authority, or in Host when :authority is absent', () => {
    expect(checkH2Request(head({ ':authority': 'b.example.com' }), 'api.example.com', 443)).toMatchObject({ status: 421 });
    expect(checkH2Request(head({ ':authority': 'api.example.com:8443' }), 'api.example.com', 443)).toMatchObject({ status: 421 });
    const { ':authority': _, ...noAuthority } = head();
    expect(checkH2Request({ ...noAuthority, host: 'b.example.com' }, 'api.example.com', 443)).toMatchObject({ status: 421 });
    expect(checkH2Request(noAuthority, 'api.example.com', 443)).toMatchObject({ authority: 'api.example.com:443' });
  });

  it('refuses CONNECT, an absolute :path and too many fields', () => {
    expect(checkH2Request(head({ ':method': 'CONNECT' }), 'api.example.com', 443)).toMatchObject({ status: 400 });
    expect(checkH2Request(head({ ':path': 'https://b.example.com/' }), 'api.example.com', 443)).toMatchObject({ status: 400 });
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-${i}`, 'v']));
    expect(checkH2Request(head(many), 'api.example.com', 443)).toMatchObject({ status: 431 });
    expect(checkH2Request(head({ 'x-big': 'x'.repeat(16 * 1024) }), 'api.example.com', 443)).toMatchObject({ status: 431 });
    expect(checkH2Request(head({ 'x-big': 'x'.repeat(15 * 1024) }), 'api.example.com', 443)).toMatchObject({ method: 'GET' });
  });
});

describe('h2 header translation', () => {
  const request: H2Request = { method: 'POST', path: '/a', authority: 'api.example.com' };
  const headers = head({ ':method': 'POST', te: 'trailers', 'proxy-authorization': 'Basic x', 'content-type': 'application/grpc', host: 'ignored' });

  it('keeps pseudo-headers and te: trailers for an h2 upstream, drops proxy credentials and Host', () => {
    expect(upstreamH2Headers(headers, request)).toEqual({ ':method': 'POST', ':path': '/a?b=1', ':scheme': 'https', ':authority': 'api.example.com', te: 'trailers', 'content-type': 'application/grpc' });
  });

  it('drops every pseudo-header and TE for an HTTP/1.1 upstream, Host from :authority', () => {
    expect(upstreamHttp1Headers(headers, request)).toEqual({ host: 'api.example.com', 'content-type': 'application/grpc' });
  });

  it('drops hop-by-hop fields, which h2 forbids, from an answer', () => {
    expect(downstreamH2Headers({ ':status': '200', connection: 'keep-alive, x-hop', 'keep-alive': 'timeout=5', 'x-hop': '1', 'transfer-encoding': 'chunked', 'x-ok': '1' })).toEqual({ ':status': '200', 'x-ok': '1' });
  });
});
