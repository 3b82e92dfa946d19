// The engine catalogue (ORCH-2008): the one list of engines llama-orch serves. The OpenAPI
// `Engine` schema is the contract; this list is typed against the type generated from it, and
// engines.test.ts keeps it equal to every engine enum the contracts declare (data.yaml, which
// control.yaml refers to, and the emitted config schema). Pure data with no imports at run time, so core's
// purity rule admits it and the webhook can share it.
import type { Engine } from './types.js';

export type { Engine };

export const ENGINES = ['llamacpp', 'vllm', 'tgi', 'triton'] as const satisfies readonly Engine[];

export function isEngine(value: unknown): value is Engine {
  return typeof value === 'string' && (ENGINES as readonly string[]).includes(value);
}
