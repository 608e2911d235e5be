/** Character checks and quoting shared by host and pattern validation messages. */

const MAX_QUOTED_LENGTH = 300;

/** JSON-quoted, so control characters show as escapes; cut short so a huge input cannot flood a log line. */
export function quote(text: string): string {
  const shown = text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}...` : text;
  return JSON.stringify(shown);
}

/**
 * The first character that is whitespace, a control character, or an ASCII
 * character outside `allowedAscii`. Other non-ASCII characters pass: IDNA
 * decides about those.
 */
export function firstDisallowedChar(text: string, allowedAscii: RegExp): string | undefined {
  for (const char of text) {
    if (/[\s\p{Cc}]/u.test(char)) return char;
    if (char.charCodeAt(0) < 0x80 && !allowedAscii.test(char)) return char;
  }
  return undefined;
}

export function describeChar(char: string): string {
  const codePoint = `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (char === ' ') return 'a space';
  if (/\s/u.test(char)) return `a whitespace character (${codePoint})`;
  if (/\p{Cc}/u.test(char)) return `a control character (${codePoint})`;
  return JSON.stringify(char);
}
