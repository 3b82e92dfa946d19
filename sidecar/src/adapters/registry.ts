// Engine name → adapter module. The one place that lists engines; shared code never branches on
// an engine name (STYLE.md: no `if (engine === …)`).
import { llamacppModule } from './llamacpp/index.js';
import type { AdapterModule } from './types.js';

const MODULES: readonly AdapterModule[] = [llamacppModule];

export function adapterModule(engine: string): AdapterModule {
  const m = MODULES.find((x) => x.engine === engine);
  if (!m)
    throw new Error(`no adapter for engine "${engine}" (known: ${knownEngines().join(', ')})`);
  return m;
}

export function knownEngines(): string[] {
  return MODULES.map((m) => m.engine);
}
