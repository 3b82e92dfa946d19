// Triton adapter module: the registry sees only this.
import type { AdapterModule } from '../types.js';
import { TritonAdapter } from './adapter.js';

export const tritonModule: AdapterModule = {
  engine: 'triton',
  create: (opts) => new TritonAdapter(opts),
};
