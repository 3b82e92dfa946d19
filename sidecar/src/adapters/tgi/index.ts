// TGI adapter module: the registry sees only this.
import type { AdapterModule } from '../types.js';
import { TgiAdapter } from './adapter.js';

export const tgiModule: AdapterModule = {
  engine: 'tgi',
  create: (opts) => new TgiAdapter(opts),
};
