// @llama-orch/tools: the real toolchain (Envoy, llama-server, model) and a process supervisor
// shared by `npm run up` and the test harness.
export * from './toolchain/index.js';
export * from './procs/index.js';
