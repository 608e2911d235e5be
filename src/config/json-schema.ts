import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * The JSON Schema of config files, for editors (config.example.yaml points
 * yaml-language-server at config.schema.json). It describes what may be
 * written, so defaults are shown and transforms are left out.
 */
export function configJsonSchemaText(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-07' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
