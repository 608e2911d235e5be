import { isMapping } from './yaml.js';

/** `${NAME}`, or `$${NAME}` for a literal `${NAME}`. */
const REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface EnvProblem {
  readonly path: readonly (string | number)[];
  readonly reason: string;
}

/**
 * Replaces `${NAME}` in every string value of a parsed YAML tree (keys are left
 * alone) with the variable from `env`. An unset variable is a problem at that
 * value's path; a variable set to the empty string substitutes as empty.
 */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
): { value: unknown; problems: EnvProblem[] } {
  const problems: EnvProblem[] = [];

  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') return substituteString(node, env, path, problems);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (isMapping(node)) {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };

  return { value: walk(value, []), problems };
}

function substituteString(
  text: string,
  env: NodeJS.ProcessEnv,
  path: readonly (string | number)[],
  problems: EnvProblem[],
): string {
  const unset = new Set<string>();
  const substituted = text.replace(REFERENCE, (reference: string, escaped: string, name: string) => {
    if (escaped !== '') return reference.slice(1);
    const value = env[name];
    if (value === undefined) unset.add(name);
    return value ?? '';
  });
  for (const name of unset) {
    problems.push({ path, reason: `uses \${${name}}, but the environment variable ${name} is not set` });
  }
  return substituted;
}
