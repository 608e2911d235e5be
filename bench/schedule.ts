/**
 * Runs scenarios over the peers, repetitions interleaved (rep 1 of every peer,
 * then rep 2, ...) with the order rotated each time, so that a noisy stretch
 * of the shared machine spreads over all peers instead of landing on one.
 */
import type { Results } from './results.js';
import type { Measurement, Scenario, ScenarioContext, Subject } from './scenarios/types.js';

export type Progress = (line: string) => void;

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(n), ...items.slice(0, n)];
}

function describe(measurement: Measurement): string {
  return Object.entries(measurement)
    .map(([key, value]) => `${key}=${Number(value).toFixed(value !== undefined && Math.abs(value) >= 100 ? 0 : 2)}`)
    .join(' ');
}

export async function runScenario(scenario: Scenario, subjects: readonly Subject[], ctx: ScenarioContext, results: Results, progress: Progress): Promise<void> {
  const applicable = subjects.filter((s) => scenario.appliesTo(s));
  const reps = scenario.reps(ctx.settings);
  for (let rep = 0; rep < reps; rep++) {
    for (const subject of rotate(applicable, rep)) {
      const where = `${scenario.name} [${rep + 1}/${reps}] ${subject.peer.title}`;
      try {
        const measurement = await scenario.run(subject, ctx);
        for (const [key, value] of Object.entries(measurement) as [keyof Measurement, number][]) results.add(key, subject.peer.name, value);
        progress(`${where}: ${describe(measurement)}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        for (const key of scenario.metrics) results.addError(key, subject.peer.name, message);
        progress(`${where}: ERROR ${message}`);
      }
    }
  }
}
