// llama.cpp adapter module: the registry sees only this.
import type { AdapterModule } from '../types.js';
import { LlamaCppAdapter } from './adapter.js';
import { pinnedContext } from './launch-args.js';
import { llamacppLauncher } from './launch.js';

export const llamacppModule: AdapterModule = {
  engine: 'llamacpp',
  create: ({ baseUrl }) => new LlamaCppAdapter(baseUrl),
  launcher: llamacppLauncher,
  // An unpinned context reads as 0: the determinism check then names --ctx-size as missing.
  declaredLaunch: (argv) => ({ args: [...argv], ctx: pinnedContext(argv) ?? 0 }),
};
