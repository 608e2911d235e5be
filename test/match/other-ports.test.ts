import { describe, expect, it } from 'vitest';
import { HostMatcher, type MatchableRule } from '../../src/match/matcher.js';
import { otherPortsAdvice, rulesOnOtherPorts } from '../../src/match/other-ports.js';

const rules: MatchableRule[] = [
  { index: 0, host: '*.example.com', ports: [443] },
  { index: 1, host: 'api.example.com', ports: [8443, 9443] },
  { index: 2, host: 'any.example.org', ports: '*' },
];
const matcher = new HostMatcher(rules);

describe('rulesOnOtherPorts', () => {
  it('names every rule matching the host when none covers the port, best first', () => {
    expect(rulesOnOtherPorts(matcher, 'api.example.com', 1234)).toEqual([rules[1], rules[0]]);
    expect(rulesOnOtherPorts(matcher, 'www.example.com', 8443)).toEqual([rules[0]]);
  });

  it('is empty when a rule covers host:port, or no rule names the host', () => {
    expect(rulesOnOtherPorts(matcher, 'api.example.com', 443)).toEqual([]);
    expect(rulesOnOtherPorts(matcher, 'api.example.com', 8443)).toEqual([]);
    expect(rulesOnOtherPorts(matcher, 'any.example.org', 1)).toEqual([]);
    expect(rulesOnOtherPorts(matcher, 'example.com', 8443)).toEqual([]);
    expect(rulesOnOtherPorts(matcher, 'api.example.net', 8443)).toEqual([]);
  });
});

describe('otherPortsAdvice', () => {
  it('names the rules, their ports and the port to add to the best one', () => {
    expect(otherPortsAdvice([rules[1]!, rules[0]!], 1234)).toBe(
      'clientCertificates[1] ("api.example.com", port 8443,9443) and clientCertificates[0] ("*.example.com", port 443) match this host but not port 1234; add 1234 to the port of clientCertificates[1] to lend its certificate here',
    );
    expect(otherPortsAdvice([rules[0]!], 8443)).toBe(
      'clientCertificates[0] ("*.example.com", port 443) matches this host but not port 8443; add 8443 to the port of clientCertificates[0] to lend its certificate here',
    );
  });
});
