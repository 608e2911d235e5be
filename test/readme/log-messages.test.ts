/**
 * Every fixed `msg` the proxy logs appears in README's "Logs" table. The calls
 * are found with the TypeScript parser: a call of trace/debug/info/warn/error/fatal
 * on something named log or logger whose last argument is a string literal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR, section, tableRows } from './readme.js';

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const LOGGER = /(?:^|\.#?)(?:log|logger)$/i;

function fixedMessages(file: string, text: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      LEVELS.has(node.expression.name.text) &&
      LOGGER.test(node.expression.expression.getText())
    ) {
      const last = node.arguments.at(-1);
      if (last && ts.isStringLiteralLike(last)) found.push(last.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
  return found;
}

const SRC = `${PROJECT_DIR}src/`;
const messages = new Set(
  readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => fixedMessages(file, readFileSync(SRC + file, 'utf8'))),
);
const listed = tableRows(section('Logs'));

describe('the README log message list', () => {
  it('reads the messages from the source, wherever the call spans several lines', () => {
    expect(messages).toContain('listening');
    expect(messages).toContain('upstream tls');
    expect(messages).toContain('stopping');
  });

  it('lists every fixed msg the proxy logs', () => {
    expect([...messages].filter((msg) => !listed.has(msg))).toEqual([]);
  });
});
