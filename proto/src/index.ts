// Public surface of @llama-orch/proto: the generated sidecar<->placement contract (ORCH-4010).
// Generated code lives in ./generated and is never edited by hand (`npm run regen`).
export * from './generated/placement.js';
