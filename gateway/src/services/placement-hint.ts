// TaskRequest.placement → core's placement input. `pin` keeps its pool (ORCH-2013/2014) and an
// optional replica (ORCH-3050). A replica pin is passed on even without `mode: pin` so core refuses
// it with INVALID_PARAMS: a pin must never be dropped silently.
import type { TaskRequest } from '@llama-orch/contracts';
import type { TaskSpecInput } from '@llama-orch/core';

export function placementInput(
  hint: TaskRequest['placement'],
): Pick<TaskSpecInput, 'placement'> | Record<string, never> {
  const replica = hint?.pin_replica_id ? { pin_replica_id: hint.pin_replica_id } : {};
  if (hint?.mode === 'pin' && hint.pin_pool_id) {
    return { placement: { mode: 'pin', pin_pool_id: hint.pin_pool_id, ...replica } };
  }
  if (hint?.pin_replica_id) return { placement: { mode: 'auto', ...replica } };
  return {};
}
