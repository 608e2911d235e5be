import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assignment, assignments, type Shell } from '../../src/clients/shell.js';
import { tempDir } from '../helpers/cli.js';
import { HOSTILE } from './hostile.js';


const names = HOSTILE.map((_, i) => `V${i}`);
const variables = HOSTILE.map((value, i) => [names[i]!, value] as const);

/** Sources the assignments in a real shell and reads every value back, NUL-separated. */
function roundTrip(shell: string, args: (file: string) => string[], kind: Shell): string[] {
  const file = path.join(dir, `vars.${kind}`);
  writeFileSync(file, assignments(kind, variables));
  const out = execFileSync(shell, args(file), { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return out.split('\0').slice(0, -1);
}

const { dir, remove } = tempDir('shell');
afterAll(remove);

describe('sh', () => {
  it('eval in bash gives back every value unchanged, running nothing', () => {
    const printAll = names.map((n) => `"$${n}"`).join(' ');
    const back = roundTrip('bash', (file) => ['-c', `eval "$(cat '${file}')"; printf '%s\\0' ${printAll}`], 'sh');
    expect(back).toEqual(HOSTILE);
  });

  it('the same in dash, the POSIX sh of Debian', () => {
    const printAll = names.map((n) => `"$${n}"`).join(' ');
    const back = roundTrip('sh', (file) => ['-c', `eval "$(cat '${file}')"; printf '%s\\0' ${printAll}`], 'sh');
    expect(back).toEqual(HOSTILE);
  });

  it('exports: a child process sees the variables', () => {
    const out = execFileSync('bash', ['-c', `eval "${assignment('sh', 'MTLS_X', "a'b").replaceAll('"', '\\"')}"; env`], { encoding: 'utf8' });
    expect(out).toContain("MTLS_X=a'b\n");
  });
});

describe('fish', () => {
  it('source in fish gives back every value unchanged', () => {
    const printAll = names.map((n) => `"$${n}"`).join(' ');
    const back = roundTrip('fish', (file) => ['--no-config', '-c', `source '${file}'; printf '%s\\0' ${printAll}`], 'fish');
    expect(back).toEqual(HOSTILE);
  });

  it('quotes as fish reads them: only \\\\ and \\\' are escapes', () => {
    expect(assignment('fish', 'A', "it's a\\b $x")).toBe("set -gx A 'it\\'s a\\\\b $x'");
  });
});

/**
 * A PowerShell single-quoted string as the language specification reads it
 * (about_Quoting_Rules): no expansion at all; any of the four single-quote
 * characters ends it unless doubled.
 */
function readPowerShellLiteral(text: string): string {
  const quote = /['\u2018-\u201b]/;
  expect(quote.test(text[0]!)).toBe(true);
  let value = '';
  let i = 1;
  for (;;) {
    const c = text[i];
    if (c === undefined) throw new Error('unterminated string');
    if (quote.test(c)) {
      if (quote.test(text[i + 1] ?? '')) {
        value += c;
        i += 2;
        continue;
      }
      expect(text.slice(i + 1)).toBe('');
      return value;
    }
    value += c;
    i += 1;
  }
}

describe('powershell', () => {
  it('every value is one single-quoted literal that reads back unchanged', () => {
    for (const value of HOSTILE) {
      const line = assignment('powershell', 'A', value);
      expect(line.startsWith('$env:A = ')).toBe(true);
      expect(readPowerShellLiteral(line.slice('$env:A = '.length))).toBe(value);
    }
  });

  it('doubles the typographic quotes PowerShell also ends strings with', () => {
    expect(assignment('powershell', 'A', "a'b‘c’")).toBe("$env:A = 'a''b‘‘c’’'");
  });
});
