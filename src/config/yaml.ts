import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, ConfigErrors } from '../errors.js';

/**
 * Parses config text into plain data. A syntax error becomes a ConfigError
 * naming the line and column. An empty document is `{}`, and an
 * empty value in a mapping (`listen:` with every child commented out) counts as
 * not set, so commenting lines out never turns a section into an error.
 */
export function parseYaml(text: string, file: string | null): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  // After the first syntax error the parser is lost, and the errors that follow are noise.
  const [syntaxError] = doc.errors;
  if (syntaxError !== undefined) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    const reason = `invalid YAML at line ${line}, column ${col}: ${syntaxError.message}`;
    throw new ConfigErrors([new ConfigError(file, '', reason, { cause: syntaxError })]);
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // Aliases are resolved only here (an undefined anchor, too many alias expansions).
    throw new ConfigErrors([new ConfigError(file, '', `invalid YAML: ${(err as Error).message}`, { cause: err })]);
  }
  return dropEmptyValues(data ?? {});
}

function dropEmptyValues(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropEmptyValues);
  if (isMapping(node)) {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([, value]) => value !== null)
        .map(([key, value]) => [key, dropEmptyValues(value)]),
    );
  }
  return node;
}

/** A YAML mapping as toJS makes it: a plain object (not a list, nor bytes from `!!binary`). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
