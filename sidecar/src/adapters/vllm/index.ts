// vLLM adapter module: the registry sees only this.
import type { AdapterModule } from '../types.js';
import { VllmAdapter } from './adapter.js';

export const vllmModule: AdapterModule = {
  engine: 'vllm',
  create: (opts) => new VllmAdapter(opts),
};
