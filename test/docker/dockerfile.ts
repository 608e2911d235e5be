/** Just enough of a Dockerfile reader for the tests: instructions (continuations joined) grouped by stage. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly from: string;
  readonly name: string | null;
  readonly instructions: readonly Instruction[];
}

export function readStages(file: string): Stage[] {
  const joined = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  const stages: Array<{ from: string; name: string | null; instructions: Instruction[] }> = [];
  for (const line of joined.split('\n')) {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(text) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' ') };
    if (instruction.keyword === 'FROM') {
      const [image = '', , name = null] = instruction.args.split(' ');
      stages.push({ from: image, name, instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

export function argsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/**
 * What a stage's COPY instructions take from the repository, as paths relative to it:
 * from the build context directly, or from the named build stage, whose WORKDIR holds
 * what it copied from the repository and built.
 */
export function copiedFromRepository(stages: readonly Stage[], stage: Stage): Array<{ source: string; destination: string }> {
  return argsOf(stage, 'COPY').flatMap((args) => {
    const words = args.split(' ');
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    const destination = paths.pop()!;
    const workdir = from === undefined ? '' : (argsOf(stages.find((s) => s.name === from)!, 'WORKDIR').at(-1) ?? '/');
    return paths.map((source) => ({
      source: from === undefined ? source : source.slice(workdir.replace(/\/?$/, '/').length),
      destination,
    }));
  });
}
