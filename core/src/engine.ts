// The engine enum on its own: a leaf module, so errors.ts (which tags an error with an engine) and
// types.ts (whose results carry a CoreError) can both use it without importing each other. The
// list itself is the contracts' engine catalogue (ORCH-2008), pure data that core's purity rule
// admits: one list for the API, the config, core and the webhook.
export { ENGINES, type Engine } from '@llama-orch/contracts/engines';
