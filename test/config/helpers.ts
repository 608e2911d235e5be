import { ConfigError, configErrorsOf } from '../../src/errors.js';

/** The config errors `run` throws; fails the test when it throws none or something else. */
export function configProblems(run: () => unknown): readonly ConfigError[] {
  try {
    run();
  } catch (err) {
    const errors = configErrorsOf(err);
    if (errors.length === 0) throw err;
    return errors;
  }
  throw new Error('expected config errors, but the config was accepted');
}

/** Same as configProblems for a promise. */
export async function configProblemsAsync(run: () => Promise<unknown>): Promise<readonly ConfigError[]> {
  try {
    await run();
  } catch (err) {
    const errors = configErrorsOf(err);
    if (errors.length === 0) throw err;
    return errors;
  }
  throw new Error('expected config errors, but the config was accepted');
}
