/** Samples gathered during the run, per metric and peer, and the errors that kept some from being taken. */
import type { MetricKey } from './metrics.js';
import type { PeerName } from './peers/types.js';
import { median } from './stats.js';

export interface Cell {
  readonly samples: number[];
  readonly errors: string[];
}

export class Results {
  readonly #cells = new Map<string, Cell>();

  #cell(metric: MetricKey, peer: PeerName): Cell {
    const key = `${metric}\0${peer}`;
    let cell = this.#cells.get(key);
    if (!cell) {
      cell = { samples: [], errors: [] };
      this.#cells.set(key, cell);
    }
    return cell;
  }

  add(metric: MetricKey, peer: PeerName, value: number): void {
    this.#cell(metric, peer).samples.push(value);
  }

  addError(metric: MetricKey, peer: PeerName, message: string): void {
    this.#cell(metric, peer).errors.push(message);
  }

  get(metric: MetricKey, peer: PeerName): Cell | undefined {
    return this.#cells.get(`${metric}\0${peer}`);
  }

  /** The median of the samples, or null when there are none. */
  median(metric: MetricKey, peer: PeerName): number | null {
    const samples = this.get(metric, peer)?.samples.filter(Number.isFinite) ?? [];
    return samples.length === 0 ? null : median(samples);
  }
}
