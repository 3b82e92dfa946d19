// llama.cpp adapter module: the registry sees only this.
import type { AdapterModule } from '../types.js';
import { LlamaCppAdapter } from './adapter.js';
import { llamacppLauncher } from './launch.js';

export const llamacppModule: AdapterModule = {
  engine: 'llamacpp',
  create: ({ baseUrl }) => new LlamaCppAdapter(baseUrl),
  launcher: llamacppLauncher,
};
