// The engine enum on its own: a leaf module, so errors.ts (which tags an error with an engine) and
// types.ts (whose results carry a CoreError) can both use it without importing each other.

/** ORCH-2008: the engine enum shared by tasks, pools and errors. */
export type Engine = 'llamacpp' | 'vllm' | 'tgi' | 'triton';
export const ENGINES: readonly Engine[] = ['llamacpp', 'vllm', 'tgi', 'triton'];
