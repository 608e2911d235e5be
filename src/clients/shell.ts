/** Assignments a shell can `eval` whatever the value holds: every value in single quotes, each shell's way. */

export const SHELLS = ['sh', 'fish', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];

/** POSIX sh: nothing is special inside '...', so a quote closes, is escaped outside, and reopens. */
function quoteSh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** fish: inside '...' only \' and \\ are escapes. */
function quoteFish(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * PowerShell: inside '...' a quote is doubled; PowerShell also takes the typographic
 * single quotes (U+2018..U+201B) as quotes, so they are doubled too.
 */
function quotePowerShell(value: string): string {
  return `'${value.replace(/['\u2018-\u201b]/g, (c) => c + c)}'`;
}

export function assignment(shell: Shell, name: string, value: string): string {
  switch (shell) {
    case 'sh':
      return `export ${name}=${quoteSh(value)}`;
    case 'fish':
      return `set -gx ${name} ${quoteFish(value)}`;
    case 'powershell':
      return `$env:${name} = ${quotePowerShell(value)}`;
  }
}

export function assignments(shell: Shell, variables: ReadonlyArray<readonly [string, string]>): string {
  return variables.map(([name, value]) => `${assignment(shell, name, value)}\n`).join('');
}
