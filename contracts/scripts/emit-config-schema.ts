// Writes contracts/schemas/config.schema.json from the TypeBox source (ORCH-3030, ORCH-5005).
// Run by `npm run regen`; never edit the JSON by hand.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { configSchemaPath, renderConfigSchema } from '../src/config/emit.js';

const path = configSchemaPath();
mkdirSync(dirname(path), { recursive: true });
writeFileSync(path, await renderConfigSchema());
