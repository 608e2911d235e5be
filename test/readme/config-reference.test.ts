/**
 * README's "Configuration reference" against config.schema.json (generated from
 * src/config/schema.ts): the same keys both ways, and the schema's defaults and
 * enum values in each key's row.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR, section, tableRows } from './readme.js';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  default?: unknown;
  enum?: unknown[];
}

/** Every key path: `a.b` for an object's key, `a[].b` for a key of a list's entries. */
function keyPaths(node: SchemaNode, prefix = '', out = new Map<string, SchemaNode>()): Map<string, SchemaNode> {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.set(path, child);
    keyPaths(child, path, out);
  }
  if (node.items) keyPaths(node.items, `${prefix}[]`, out);
  for (const option of node.anyOf ?? []) keyPaths(option, prefix, out);
  return out;
}

const schema = JSON.parse(readFileSync(`${PROJECT_DIR}config.schema.json`, 'utf8')) as SchemaNode;
const keys = keyPaths(schema);
const rows = tableRows(section('Configuration reference'));

describe('the README configuration reference', () => {
  it('reads keys at every depth of the schema', () => {
    expect(keys.has('listen.auth.username')).toBe(true);
    expect(keys.has('clientCertificates[].passphraseFile')).toBe(true);
  });

  it('lists every key of the schema', () => {
    expect([...keys.keys()].filter((key) => !rows.has(key))).toEqual([]);
  });

  it('lists no key the schema does not know', () => {
    expect([...rows.keys()].filter((key) => !keys.has(key))).toEqual([]);
  });

  it("gives each scalar default as the schema's, and names each allowed value", () => {
    for (const [key, node] of keys) {
      const [, type = '', fallback = ''] = rows.get(key) ?? [];
      if (['string', 'number', 'boolean'].includes(typeof node.default)) {
        expect(fallback, `default of ${key}`).toBe(`\`${String(node.default)}\``);
      }
      for (const value of node.enum ?? []) expect(type, `type of ${key}`).toContain(`\`${String(value)}\``);
    }
  });
});
