/** The process loadConfigIsolated starts: takes the load options, sends the outcome back, and ends. */
import { outcomeOf } from './load-isolated.js';
import { loadConfig, type LoadOptions } from './load.js';

process.once('message', (options: LoadOptions) => {
  void loadConfig(options)
    .then(
      (config) => outcomeOf({ config }),
      (error: unknown) => outcomeOf({ error }),
    )
    .then((outcome) => process.send?.(outcome, () => process.disconnect()));
});
