import { describe, expect, it } from 'vitest';
import { downSentence, howItEnded, restartDelayMs } from '../../src/cluster/supervision.js';

describe('restartDelayMs', () => {
  it('doubles with each worker in a row that ended soon after its start, up to 30 s', () => {
    expect([0, 1, 2, 3].map(restartDelayMs)).toEqual([100, 200, 400, 800]);
    expect(restartDelayMs(9)).toBe(30_000);
    expect(restartDelayMs(1000)).toBe(30_000);
  });
});

describe('howItEnded', () => {
  it('names the signal, else the exit code', () => {
    expect(howItEnded(null, 'SIGKILL')).toBe('killed by SIGKILL');
    expect(howItEnded(1, null)).toBe('exit code 1');
  });
});

describe('downSentence', () => {
  it('is null while every worker is up', () => {
    expect(downSentence([], 4)).toBeNull();
  });

  it('names each worker that is down and how it ended', () => {
    expect(downSentence([{ worker: 2, how: 'killed by SIGKILL' }], 2)).toBe('1 of 2 workers is down: worker 2 (killed by SIGKILL); it is being restarted.');
    expect(downSentence([{ worker: 2, how: 'exit code 1' }, { worker: 5, how: 'killed by SIGSEGV' }], 4)).toBe(
      '2 of 4 workers are down: worker 2 (exit code 1), worker 5 (killed by SIGSEGV); they are being restarted.',
    );
  });
});
