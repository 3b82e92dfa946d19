// Device masks and multi-GPU splits in the config (ORCH-3001, ORCH-3011, ORCH-3012): the semantic
// checks refuse every mask the sidecar could not launch as configured.
import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from './load.js';

function pool(extra: Record<string, unknown>): unknown {
  return {
    version: 1,
    pools: [{ id: 'p', engine: 'llamacpp', model_ref: 'm', ctx_max: 4096, ...extra }],
  };
}

function issues(value: unknown): string[] {
  try {
    validateConfig(value);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('ORCH-3001/ORCH-3011: one device mask per replica, inside the pool devices', () => {
  it('ORCH-3001: each replica gets exactly one mask; by default the pool devices', () => {
    const c = validateConfig(pool({ devices: ['cuda:0'], replicas: 2 }));
    expect(c.pools[0]?.replica_devices).toEqual([['cuda:0'], ['cuda:0']]);
    expect(
      issues(pool({ devices: ['cuda:0', 'cuda:1'], replicas: 2, replica_devices: [['cuda:0']] })),
    ).toEqual(['pools[0].replica_devices: needs 2 entries (one per replica), got 1']);
  });

  it('ORCH-3011: a replica mask naming a device outside the pool is refused', () => {
    expect(
      issues(
        pool({
          devices: ['cuda:0', 'cuda:1'],
          replicas: 2,
          replica_devices: [['cuda:0'], ['cuda:2']],
        }),
      ),
    ).toEqual(['pools[0].replica_devices[1]: cuda:2 is outside devices']);
  });

  it('ORCH-3011: one GPU per replica needs no tensor_split', () => {
    expect(
      issues(
        pool({
          devices: ['cuda:0', 'cuda:1'],
          replicas: 2,
          replica_devices: [['cuda:0'], ['cuda:1']],
        }),
      ),
    ).toEqual([]);
  });
});

describe('ORCH-3012: multi-GPU split only with explicit ratios', () => {
  it('ORCH-3012: a replica spanning two GPUs without tensor_split is refused', () => {
    expect(issues(pool({ devices: ['cuda:0', 'cuda:1'] }))).toEqual([
      'pools[0].replica_devices[0]: a multi-GPU replica needs tensor_split (ORCH-3012)',
    ]);
  });

  it('ORCH-3012: one ratio per device, positive, never on cpu', () => {
    expect(issues(pool({ devices: ['cuda:0', 'cuda:1'], tensor_split: [1, 1] }))).toEqual([]);
    expect(issues(pool({ devices: ['cuda:0', 'cuda:1'], tensor_split: [1, 1, 1] }))).toContain(
      'pools[0].tensor_split: needs 2 ratios (one per device), got 3',
    );
    expect(issues(pool({ devices: ['cuda:0', 'cuda:1'], tensor_split: [1, 0] })).length).toBe(1);
    expect(issues(pool({ devices: ['cpu'], cpu_carve_out: true, tensor_split: [1, 1] }))).toContain(
      'pools[0].tensor_split: not allowed on a cpu pool',
    );
  });

  it('ORCH-3012: a multi-GPU replica mask must match the ratio count', () => {
    expect(
      issues(
        pool({
          devices: ['cuda:0', 'cuda:1', 'cuda:2'],
          tensor_split: [1, 1, 2],
          replicas: 2,
          replica_devices: [['cuda:0', 'cuda:1'], ['cuda:2']],
        }),
      ),
    ).toEqual(['pools[0].replica_devices[0]: 2 devices but tensor_split has 3 ratios (ORCH-3012)']);
  });
});
