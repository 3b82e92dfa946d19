import { describe, expect, it } from 'vitest';
import { placementInput } from './tasks.js';

describe('ORCH-2013/ORCH-3050: TaskRequest.placement → core placement input', () => {
  it('ORCH-2013: pin keeps its pool; auto and absent hints place freely', () => {
    expect(placementInput({ mode: 'pin', pin_pool_id: 'p' })).toEqual({
      placement: { mode: 'pin', pin_pool_id: 'p' },
    });
    expect(placementInput({ mode: 'auto' })).toEqual({});
    expect(placementInput(undefined)).toEqual({});
  });

  it('ORCH-3050: a replica pin is passed on with its pool, and never dropped without mode pin', () => {
    expect(placementInput({ mode: 'pin', pin_pool_id: 'p', pin_replica_id: 'r1' })).toEqual({
      placement: { mode: 'pin', pin_pool_id: 'p', pin_replica_id: 'r1' },
    });
    // Core answers INVALID_PARAMS for this one (core/test/replica-pin.test.ts).
    expect(placementInput({ mode: 'auto', pin_pool_id: 'p', pin_replica_id: 'r1' })).toEqual({
      placement: { mode: 'auto', pin_replica_id: 'r1' },
    });
  });
});
