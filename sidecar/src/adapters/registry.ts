// Engine name → adapter module. The one place that lists engines; shared code never branches on
// an engine name (CONTRIBUTING.md, "Engine code stays in its adapter": no `if (engine === …)`).
import { llamacppModule } from './llamacpp/index.js';
import { mockModule } from './mock/index.js';
import { tgiModule } from './tgi/index.js';
import { tritonModule } from './triton/index.js';
import { vllmModule } from './vllm/index.js';
import type { AdapterModule } from './types.js';

const MODULES: readonly AdapterModule[] = [
  llamacppModule,
  vllmModule,
  tgiModule,
  tritonModule,
  mockModule,
];

const key = (m: AdapterModule): string => m.name ?? m.engine;

export function adapterModule(engine: string): AdapterModule {
  const m = MODULES.find((x) => key(x) === engine);
  if (!m)
    throw new Error(`no adapter for engine "${engine}" (known: ${knownEngines().join(', ')})`);
  return m;
}

export function knownEngines(): string[] {
  return MODULES.map(key);
}
