/** Starts the chosen peers side by side; a peer that is missing or fails to start becomes a skipped column. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { newHostName } from './pki.js';
import type { PeerDefinition, PeerEnv, PeerName } from './peers/types.js';
import type { PeerColumn } from './report.js';
import type { HostSource, Subject } from './scenarios/types.js';

function hostSource(count: number): HostSource {
  let next = 0;
  return {
    next: () => {
      if (next >= count) throw new Error(`All ${count} never-seen host names are used up.`);
      return newHostName(++next);
    },
  };
}

export interface Lineup {
  subjects: Subject[];
  columns: PeerColumn[];
  versions: Partial<Record<PeerName, string>>;
  /** Takes a started peer out of the measurements; its column says why. */
  drop(subject: Subject, reason: string): void;
  stop(): Promise<void>;
}

export async function startLineup(
  definitions: readonly PeerDefinition[],
  env: Omit<PeerEnv, 'dir'> & { runDir: string },
  newHosts: number,
): Promise<Lineup> {
  const columns: PeerColumn[] = definitions.map((d) => ({ name: d.name, title: d.title, skipped: d.missing() }));
  const started = await Promise.all(
    definitions.map(async (peer, i) => {
      if (columns[i]!.skipped !== null) return null;
      const dir = path.join(env.runDir, peer.name);
      mkdirSync(dir, { recursive: true });
      try {
        return await peer.start({ ...env, dir });
      } catch (err) {
        columns[i]!.skipped = `did not start: ${err instanceof Error ? err.message : String(err)}`;
        return null;
      }
    }),
  );
  const subjects: Subject[] = [];
  const versions: Partial<Record<PeerName, string>> = {};
  started.forEach((running, i) => {
    if (!running) return;
    const peer = definitions[i]!;
    subjects.push({ peer, running, newHosts: hostSource(newHosts) });
    versions[peer.name] = running.version;
  });
  return {
    subjects,
    columns,
    versions,
    drop: (subject, reason) => {
      const column = columns.find((c) => c.name === subject.peer.name);
      if (column) column.skipped = reason;
      subjects.splice(subjects.indexOf(subject), 1);
    },
    stop: async () => {
      await Promise.all(started.map((running) => running?.stop()));
    },
  };
}
