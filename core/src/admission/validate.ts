// Shape checks the contract schema already makes; core repeats the ones it relies on so that a
// bad caller gets INVALID_PARAMS instead of a corrupted queue.
import { CoreError } from '../errors.js';
import { ENGINES, PRIORITIES } from '../types.js';
import type { TaskSpecInput } from '../types.js';

function posInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

export function validateSpec(spec: TaskSpecInput, promptTokens: number): CoreError | undefined {
  const bad = (message: string): CoreError =>
    new CoreError(
      'INVALID_PARAMS',
      message,
      ENGINES.includes(spec.engine) ? { engine: spec.engine } : {},
    );
  if (typeof spec.task_id !== 'string' || spec.task_id.length === 0)
    return bad('task_id is required');
  if (!ENGINES.includes(spec.engine)) return bad(`unknown engine ${String(spec.engine)}`);
  if (!PRIORITIES.includes(spec.priority)) return bad(`unknown priority ${String(spec.priority)}`);
  if (typeof spec.model_ref !== 'string' || spec.model_ref.length === 0) {
    return bad('model_ref is required');
  }
  if (!posInt(spec.ctx)) return bad('ctx must be a positive integer');
  if (!posInt(spec.max_tokens)) return bad('max_tokens must be a positive integer');
  const d = spec.deadline_ms;
  if (d !== undefined && !(Number.isInteger(d) && d >= 0)) {
    return bad('deadline_ms must be an integer >= 0');
  }
  const seed = spec.seed;
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
    return bad('seed must be a uint32');
  }
  if (!(Number.isInteger(promptTokens) && promptTokens >= 0)) {
    return bad('promptTokens must be an integer >= 0');
  }
  return undefined;
}
