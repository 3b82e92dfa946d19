import type { Dispatch } from '@llama-orch/core';
import { describe, expect, it } from 'vitest';
import { assignCommand } from './assign.js';

function dispatch(extra: Partial<Dispatch>): Dispatch {
  return {
    taskId: 't1',
    leaseId: 'l1',
    replicaId: 'r1',
    poolId: 'pool-a',
    replicaSetKey: 'k',
    kvWarmth: true,
    queuePosition: 3,
    predictedStartMs: 12.6,
    queueTimeMs: 5,
    attempt: 1,
    queueDepth: 4,
    task: {
      task_id: 't1',
      session_id: 's1',
      tenant: 'acme',
      workload: 'completion',
      model_ref: 'm',
      engine: 'llamacpp',
      ctx: 512,
      priority: 'interactive',
      max_tokens: 8,
      deadline_ms: 0,
      seed: 7,
      determinism: 'strict',
      sampler_profile_version: 'v1',
      prompt: 'hi',
      correlation_id: 'c',
      prompt_format: 'chat',
    },
    ...extra,
  };
}

describe('ORCH-3100: the Assign carries the scheduling signals', () => {
  it('ORCH-3100: queue_depth, kv_warmth and on_time_probability reach the sidecar', () => {
    const cmd = assignCommand(dispatch({ onTimeProbability: 0.8 })).cmd;
    expect(cmd?.$case === 'assign' && cmd.value).toMatchObject({
      queueDepth: 4,
      kvWarmth: true,
      onTimeProbability: 0.8,
      predictedStartMs: 13,
    });
  });

  it("ORCH-3102: the pool's prompt format reaches the sidecar with the task", () => {
    const cmd = assignCommand(dispatch({})).cmd;
    expect(cmd?.$case === 'assign' && cmd.value.task?.promptFormat).toBe('chat');
  });

  it("ORCH-3016: the config's watchdog limits reach the sidecar with every task (0: the sidecar's own)", () => {
    const cmd = assignCommand(dispatch({}), { idleMs: 5000, wallMs: 60_000 }).cmd;
    expect(cmd?.$case === 'assign' && cmd.value.task).toMatchObject({
      idleTimeoutMs: 5000,
      wallTimeoutMs: 60_000,
    });
    const plain = assignCommand(dispatch({})).cmd;
    expect(plain?.$case === 'assign' && plain.value.task).toMatchObject({
      idleTimeoutMs: 0,
      wallTimeoutMs: 0,
    });
  });

  it('ORCH-3100: no deadline → no on_time_probability on the wire', () => {
    const cmd = assignCommand(dispatch({})).cmd;
    expect(cmd?.$case === 'assign' && 'onTimeProbability' in cmd.value).toBe(false);
  });
});
