/**
 * `npx tsx bench/profile-summary.ts FILE.cpuprofile [N] [REGEX]`: the top
 * self-time functions of a V8 CPU profile (node --cpu-prof), who calls the
 * heaviest of them, or those matching REGEX (native writes such as writev
 * carry the TLS encryption of their callers), and the self time grouped by
 * where the code lives.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package, the project file, or the Node module a URL belongs to. */
function place(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(?:[^/]+\/)*/, 'node:');
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) return url.slice(modules + '/node_modules/'.length).split('/')[0]!;
  const dist = url.indexOf('/dist/');
  return dist !== -1 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (url === '') return name;
  return `${name}  ${place(url)}${url.startsWith('node:') ? '' : `:${lineNumber + 1}`}`;
}

function summarize(profile: CpuProfile, top: number, focus: RegExp | null): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);

  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  const callers = new Map<string, Map<string, number>>();
  const add = (map: Map<string, number>, key: string, us: number): void => void map.set(key, (map.get(key) ?? 0) + us);
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') return;
    const key = functionKey(node);
    add(byFunction, key, us);
    add(byPlace, node.callFrame.url === '' ? `(native) ${key}` : place(node.callFrame.url), us);
    // The nearest caller outside Node's internals says whose work a native write is.
    let parent = parentOf.get(node.id);
    while (parent && (parent.callFrame.url === '' || parent.callFrame.url.startsWith('node:')) && parentOf.has(parent.id)) parent = parentOf.get(parent.id);
    let perCaller = callers.get(key);
    if (!perCaller) callers.set(key, (perCaller = new Map()));
    add(perCaller, parent ? functionKey(parent) : '(root)', us);
  });

  const busy = [...byFunction.values()].reduce((a, b) => a + b, 0);
  const rows = (map: Map<string, number>, n: number, indent = ''): string =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => `${indent}${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
      .join('\n');
  const ranked = [...byFunction.entries()].sort((a, b) => b[1] - a[1]);
  const heaviest = focus ? ranked.filter(([key]) => focus.test(key)) : ranked.slice(0, 5);
  return [
    `busy (not idle) time: ${(busy / 1000).toFixed(0)} ms`,
    `\ntop self time by function:\n${rows(byFunction, top)}`,
    `\nnearest callers outside Node's internals, for ${focus ? `functions matching ${focus.source}` : 'the five heaviest'}:`,
    ...heaviest.map(([key]) => `${key}\n${rows(callers.get(key) ?? new Map(), 4, '    ')}`),
    `\nself time by place:\n${rows(byPlace, 15)}`,
  ].join('\n');
}

const [file, topArg, focusArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [N] [REGEX]');
  process.exit(2);
}
console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(topArg ?? 25), focusArg ? new RegExp(focusArg) : null));
