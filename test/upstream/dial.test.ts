import { describe, expect, it } from 'vitest';
import { describeTcpTarget } from '../../src/upstream/dial.js';

describe('describeTcpTarget', () => {
  it('gives the dialled address, and the upstream proxy without its credentials', () => {
    expect(describeTcpTarget({ address: '127.0.0.1', port: 9443, via: null })).toEqual({ address: '127.0.0.1:9443' });
    expect(describeTcpTarget({ address: '::1', port: 443, via: new URL('http://me:secret@corp-proxy:3128') })).toEqual({ address: '[::1]:443', via: 'corp-proxy:3128' });
    expect(describeTcpTarget({ address: 'a.example.com', port: 443, via: new URL('http://corp-proxy') })).toEqual({ address: 'a.example.com:443', via: 'corp-proxy:80' });
  });
});
