import { describe, expect, it } from 'vitest';
import { configJsonSchemaText } from '../../src/config/json-schema.js';

describe('config.schema.json', () => {
  it('is what the config schema generates', async () => {
    // Regenerate after a schema change with `npm run schema` (vitest --update writes the file).
    await expect(configJsonSchemaText()).toMatchFileSnapshot(
      '../../config.schema.json',
      'config.schema.json is out of date; run `npm run schema` to regenerate it',
    );
  });
});
