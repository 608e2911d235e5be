import { describe, expect, it } from 'vitest';
import { readme } from './readme.js';

describe('the README', () => {
  it("starts with the contract's two set-up commands", () => {
    expect(readme.split('\n').slice(0, 4)).toEqual([
      '```',
      'npm install && npm start      # builds, creates ./ca on first start, proxy on 127.0.0.1:8080',
      'npm test                      # the whole test suite, loopback only, no internet',
      '```',
    ]);
  });
});
