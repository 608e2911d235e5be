import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configJsonSchemaText } from '../../src/config/json-schema.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const exampleFile = path.join(root, 'config.example.yaml');
const example = fs.readFileSync(exampleFile, 'utf8');

/** Every property name anywhere in a JSON Schema. */
function propertyNames(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const own = 'properties' in schema ? Object.keys(schema.properties as object) : [];
  return [...own, ...Object.values(schema).flatMap(propertyNames)];
}

describe('config.example.yaml', () => {
  it('points editors at the JSON Schema on its first line', () => {
    expect(example.split('\n')[0]).toBe('# yaml-language-server: $schema=./config.schema.json');
  });

  it('loads without errors and without any environment variable', () => {
    const config = parseConfig(example, exampleFile, {});
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.clientCertificates.map((r) => [r.host, r.ports])).toEqual([
      ['*.example.com', [443]],
      ['partner.example.org', [443]],
    ]);
    expect(config.upstream.resolve).toEqual({
      'api.staging.example.com': '10.1.2.3',
      'api.example.com:443': '127.0.0.1:9443',
    });
  });

  it('shows its defaults as the defaults', () => {
    const defaults = parseConfig('', exampleFile, {});
    const config = parseConfig(example, exampleFile, {});
    expect(config.listen).toEqual(defaults.listen);
    expect(config.ca).toEqual(defaults.ca);
    expect(config.intercept).toBe(defaults.intercept);
    expect(config.log).toEqual(defaults.log);
    expect(config.warnExpiryDays).toBe(defaults.warnExpiryDays);
    expect(config.timeouts).toEqual(defaults.timeouts);
    expect(config.limits).toEqual(defaults.limits);
  });

  it('mentions every key of the schema, set or commented out', () => {
    const keys = new Set(propertyNames(JSON.parse(configJsonSchemaText())));
    const missing = [...keys].filter((key) => !new RegExp(`(^|[\\s{#-])${key}:`, 'm').test(example));
    expect(missing).toEqual([]);
  });
});
