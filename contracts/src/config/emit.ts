// Emits contracts/schemas/config.schema.json from the TypeBox definitions (ORCH-3030). Output is
// byte-stable: fixed key order from the source, then the repo's prettier settings, so
// `prettier --check` and the regen diff gate agree (ORCH-5005).
import { fileURLToPath } from 'node:url';
import { ConfigSchema } from './schema.js';

export const CONFIG_SCHEMA_ID = 'https://llama-orch.dev/contracts/schemas/config.schema.json';

export function configSchemaPath(): string {
  return fileURLToPath(new URL('../../schemas/config.schema.json', import.meta.url));
}

/** The JSON Schema document as text (TypeBox's symbol keys drop out in JSON.stringify). */
export async function renderConfigSchema(): Promise<string> {
  const doc = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: CONFIG_SCHEMA_ID,
    title: 'llama-orch config',
    ...ConfigSchema,
  };
  // Loaded lazily: the gateway imports this package at runtime and never needs prettier.
  const { format, resolveConfig } = await import('prettier');
  const path = configSchemaPath();
  const options = (await resolveConfig(path)) ?? {};
  return format(JSON.stringify(doc), { ...options, filepath: path });
}
