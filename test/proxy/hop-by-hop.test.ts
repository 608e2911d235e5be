import { describe, expect, it } from 'vitest';
import { endToEndHeaders } from '../../src/proxy/hop-by-hop.js';

describe('endToEndHeaders', () => {
  it('drops the hop-by-hop fields and keeps the rest as they are', () => {
    const out = endToEndHeaders({
      host: 'api.example.com',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic c2VjcmV0',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      upgrade: 'h2c',
      accept: 'application/json',
      'set-cookie': ['a=1', 'b=2'],
      'x-empty': undefined,
    });
    expect(out).toEqual({ host: 'api.example.com', accept: 'application/json', 'set-cookie': ['a=1', 'b=2'] });
  });

  it('drops Connection and every field it names, in any case and spacing', () => {
    const out = endToEndHeaders({ connection: 'close, X-Trace ,keep-alive', 'x-trace': '1', 'x-other': '2' });
    expect(out).toEqual({ 'x-other': '2' });
    expect(endToEndHeaders({ connection: ['X-A', 'x-b'], 'x-a': '1', 'x-b': '2', 'x-c': '3' })).toEqual({ 'x-c': '3' });
    // A single token takes a shorter path than a list: it must drop the same.
    expect(endToEndHeaders({ connection: ' X-Trace ', 'x-trace': '1', 'x-other': '2' })).toEqual({ 'x-other': '2' });
    expect(endToEndHeaders({ connection: 'Keep-Alive', 'keep-alive': 'timeout=5', 'x-other': '2' })).toEqual({ 'x-other': '2' });
  });

  it('drops the fields the caller names too', () => {
    expect(endToEndHeaders({ host: 'a.example', expect: '100-continue', accept: '*/*' }, ['expect', 'host'])).toEqual({ accept: '*/*' });
  });
});
