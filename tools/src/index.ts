// @llama-orch/tools: the real toolchain (Envoy, llama-server, model), a process supervisor, and
// the pieces of `npm run up` that tests reuse (loopback Envoy config, llama-server flags), and the
// private CA of the webhook and the control plane's mutual TLS.
export * from './toolchain/index.js';
export * from './procs/index.js';
export * from './up/index.js';
export * from './tls/index.js';
export * from './policy-sdk/compile.js';
