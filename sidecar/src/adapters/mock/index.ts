// Mock adapter module: registered as `mock`, standing in for llama.cpp's engine enum value.
import type { AdapterModule } from '../types.js';
import { MockAdapter } from './adapter.js';

export const mockModule: AdapterModule = {
  name: 'mock',
  engine: 'llamacpp',
  create: () => new MockAdapter(),
};
