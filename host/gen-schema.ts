// Writes host/natpass.schema.json from host/config-schema.ts (`make schema`). test/config-schema.test.ts
// fails when the committed file differs from what this would write, so the two cannot drift apart.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from './config-schema.ts';

export const SCHEMA_FILE = new URL('./natpass.schema.json', import.meta.url);

export function schemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + '\n';
}

if (process.argv.includes('--write')) {
  writeFileSync(SCHEMA_FILE, schemaText());
  console.log('wrote natpass.schema.json');
}
