import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { formatFieldPath } from './field-path.js';
import { nearest } from './suggest.js';

/**
 * Turns zod's issues into ConfigErrors in the user's words. Messages never
 * repeat the value, which may be a passphrase or a password.
 */

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping of keys',
  array: 'a list',
};

function kindOf(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping of keys';
  if (typeof value === 'boolean') return 'true or false';
  return `a ${typeof value}`;
}

/** The per-parse error map: a plain reason for each issue zod raises itself. */
export const describeIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'int' && typeof issue.input === 'number') return 'must be a whole number';
      const quote = issue.expected === 'string' && typeof issue.input !== 'object' ? ' (put it in quotes)' : '';
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${kindOf(issue.input)}${quote}`;
    }
    case 'too_small':
      if (issue.origin === 'string' || issue.origin === 'array') {
        // Every length limit in the schema is "at least one".
        return 'must not be empty';
      }
      return issue.inclusive ? `must be at least ${issue.minimum}` : `must be greater than ${issue.minimum}`;
    case 'too_big':
      return `must be at most ${issue.maximum}`;
    case 'invalid_value':
      return `must be ${orList(issue.values.map((v) => JSON.stringify(v)))}`;
    default:
      return undefined;
  }
};

/** One ConfigError per issue, and one per unknown key with the nearest valid key suggested. */
export function configErrorsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  file: string | null,
): ConfigError[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [new ConfigError(file, formatFieldPath(issue.path), issue.message)];
    const known = keysAt(schema, issue.path);
    return issue.keys.map(
      (key) => new ConfigError(file, formatFieldPath([...issue.path, key]), unknownKeyReason(key, known)),
    );
  });
}

export function unknownKeyReason(key: string, known: readonly string[]): string {
  const suggestion = nearest(key, known);
  const unknown = `unknown key ${JSON.stringify(key)}`;
  if (suggestion !== undefined) return `${unknown}; did you mean ${JSON.stringify(suggestion)}?`;
  return `${unknown}; expected ${orList(known)}`;
}

function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** The keys the object schema at `path` accepts. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (node instanceof z.ZodObject) node = (node.shape as Record<PropertyKey, z.ZodType>)[segment];
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else node = undefined;
    node = node && unwrap(node);
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** Sees through the wrappers that defaults, optionals and transforms put around a schema. */
function unwrap(schema: z.ZodType): z.ZodType {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodPrefault) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      node = node.in as z.ZodType;
    } else {
      return node;
    }
  }
}
