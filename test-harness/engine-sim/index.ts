// Engine simulator: a llama.cpp-compatible (and cheaply vLLM-compatible) HTTP engine with
// realistic timing, a prefix cache and fault injection, deterministic per seed.
export { DEFAULT_SIM_CONFIG, simConfig, zeroComputeConfig } from './config.js';
export type { SimConfig, SimFaults } from './config.js';
export { SimEngine } from './engine.js';
export { generate, tokenize } from './model.js';
export { startEngineSim } from './server.js';
export type { EngineSim, EngineSimOptions } from './server.js';
export { parseSimModel, sha256Hex, simModelText } from './model-file.js';
export type { SimDirective, SimModel } from './model-file.js';
export type {
  SimModelEntry,
  SimModelSpec,
  SimStack,
  SimStackOptions,
  SupervisedSimOptions,
} from './sim-stack.js';
export { SHIM_ENTRY, writeShimWrapper } from './shim-wrapper.js';
