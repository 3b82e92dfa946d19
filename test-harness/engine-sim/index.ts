// Engine simulator: a llama.cpp-compatible (and cheaply vLLM-compatible) HTTP engine with
// realistic timing, a prefix cache and fault injection, deterministic per seed.
export { DEFAULT_SIM_CONFIG, simConfig } from './config.js';
export type { SimConfig, SimFaults } from './config.js';
export { SimEngine } from './engine.js';
export { generate, tokenize } from './model.js';
export { startEngineSim } from './server.js';
export type { EngineSim, EngineSimOptions } from './server.js';
