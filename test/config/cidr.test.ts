import { describe, expect, it } from 'vitest';
import { formatCidr, parseCidr } from '../../src/config/cidr.js';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['192.168.1.7', { address: '192.168.1.7', prefix: 32, family: 'ipv4' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['FD00:0::/8', { address: 'fd00::', prefix: 8, family: 'ipv6' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
  ])('reads %s', (text, cidr) => {
    expect(parseCidr(text)).toEqual(cidr);
  });

  it.each(['', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0/8', 'example.com/8', '10.0.0.0/0x8'])(
    'rejects %j',
    (text) => {
      expect(parseCidr(text)).toBeNull();
    },
  );

  it('formats with the prefix', () => {
    expect(formatCidr(parseCidr('fd00::1')!)).toBe('fd00::1/128');
  });
});
