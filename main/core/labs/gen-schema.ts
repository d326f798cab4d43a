// Writes schema/lab.schema.json from the zod schema the engine validates with.
// Run: node --import tsx main/core/labs/gen-schema.ts   (test/labs/schema.test.ts checks it is current)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../paths.ts';
import { labJsonSchema } from './schema.ts';

export const LAB_SCHEMA_FILE = path.join(projectRoot, 'schema', 'lab.schema.json');

export function labSchemaText(): string {
  return JSON.stringify({ title: 'Meshwalk lab (lab.yaml)', ...labJsonSchema() }, null, 2) + '\n';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(path.dirname(LAB_SCHEMA_FILE), { recursive: true });
  writeFileSync(LAB_SCHEMA_FILE, labSchemaText());
  process.stdout.write(`wrote ${path.relative(process.cwd(), LAB_SCHEMA_FILE)}\n`);
}
