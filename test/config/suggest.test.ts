import { describe, expect, it } from 'vitest';
import { formatFieldPath } from '../../src/config/field-path.js';
import { editDistance, nearest } from '../../src/config/suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['listen', 'listen', 0],
    ['', 'abc', 3],
    ['lisen', 'listen', 1],
    ['hsot', 'host', 1],
    ['prot', 'port', 1],
    ['kitten', 'sitting', 3],
    ['ca', 'cert', 3],
  ])('%j to %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('nearest', () => {
  const keys = ['host', 'port', 'cert', 'key', 'pfx', 'passphrase', 'passphraseFile', 'ca', 'verify'];

  it.each([
    ['hots', 'host'],
    ['prot', 'port'],
    ['passphrasefile', 'passphraseFile'],
    ['passphase', 'passphrase'],
    ['verfiy', 'verify'],
    ['keys', 'key'],
  ])('%j suggests %j', (word, expected) => {
    expect(nearest(word, keys)).toBe(expected);
  });

  it('suggests nothing for a word that is no plausible typo', () => {
    expect(nearest('timeout', keys)).toBeUndefined();
    expect(nearest('x', ['listen', 'upstream'])).toBeUndefined();
  });

  it('prefers the closest candidate, then the first listed', () => {
    expect(nearest('cerd', ['card', 'cert'])).toBe('card');
    expect(nearest('portt', ['port', 'ports'])).toBe('port');
  });
});

describe('formatFieldPath', () => {
  it.each([
    [[], ''],
    [['listen', 'host'], 'listen.host'],
    [['clientCertificates', 1, 'key'], 'clientCertificates[1].key'],
    [['upstream', 'resolve', 'api.example.com:443'], 'upstream.resolve["api.example.com:443"]'],
    [['upstream', 'resolve', 'say "hi"'], 'upstream.resolve["say \\"hi\\""]'],
    [['listen', 'allow', 0], 'listen.allow[0]'],
  ] as const)('%j is %s', (path, expected) => {
    expect(formatFieldPath(path)).toBe(expected);
  });
});
