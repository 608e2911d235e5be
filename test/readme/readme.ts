/**
 * Reads README.md the way the tests in this folder check it: by section, by
 * table row, and by the fenced blocks marked `<!-- client: NAME -->`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));

export const readme = readFileSync(`${PROJECT_DIR}README.md`, 'utf8');

/** The text under `## title`, up to the next `## ` heading. */
export function section(title: string): string {
  const heading = `\n## ${title}\n`;
  const start = readme.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + heading.length);
  return readme.slice(start + heading.length, end < 0 ? undefined : end);
}

/**
 * The rows of the Markdown tables in `text` whose first cell is one code span,
 * keyed by that span's text; the cells are trimmed, `\|` unescaped.
 */
export function tableRows(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const first = /^\| `([^`]+)` \|/.exec(line);
    if (!first?.[1]) continue;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replaceAll('\\|', '|'));
    if (rows.has(first[1])) throw new Error(`README.md lists ${first[1]} twice`);
    rows.set(first[1], cells);
  }
  return rows;
}

export interface MarkedBlock {
  /** What the marker says the block is for: `client` or `trust`. */
  kind: string;
  name: string;
  /** Set when the block is a file's content (`file: app.mjs`) rather than shell lines. */
  file: string | undefined;
  body: string;
}

const MARKER = /<!-- (\w+): ([\w-]+)(?: file: ([\w.-]+))? -->\n```\w*\n([\s\S]*?)\n```\n/g;

/** Every marked fenced block, in README order. A marker without its block is an error, not a skipped client. */
export function markedBlocks(): MarkedBlock[] {
  const blocks = [...readme.matchAll(MARKER)].map(([, kind = '', name = '', file, body = '']) => ({ kind, name, file, body }));
  const markers = readme.match(/<!-- \w+: /g)?.length ?? 0;
  if (markers !== blocks.length) {
    throw new Error(`README.md has ${markers} block markers but ${blocks.length} marked fenced blocks right after one`);
  }
  return blocks;
}
