// core's Dispatch → the Assign command a sidecar receives (placement.proto: lease id plus the
// full task spec; the seed is always filled, ORCH-3091).
import type { Dispatch } from '@llama-orch/core';
import type { PlacementCommand } from '@llama-orch/proto';

/** ORCH-3016: the watchdog limits each Assign carries (config `timeouts`); 0: the sidecar's own. */
export interface WatchdogLimits {
  readonly idleMs: number;
  readonly wallMs: number;
}

const SIDECAR_DEFAULTS: WatchdogLimits = { idleMs: 0, wallMs: 0 };

export function assignCommand(d: Dispatch, watchdog = SIDECAR_DEFAULTS): PlacementCommand {
  const task = d.task;
  return {
    cmd: {
      $case: 'assign',
      value: {
        leaseId: d.leaseId,
        queuePosition: d.queuePosition,
        predictedStartMs: Math.max(0, Math.round(d.predictedStartMs)),
        kvWarmth: d.kvWarmth,
        // ORCH-3100: scheduling signals the sidecar reports in the stream's metrics event.
        queueDepth: d.queueDepth,
        ...(d.onTimeProbability !== undefined ? { onTimeProbability: d.onTimeProbability } : {}),
        task: {
          taskId: task.task_id,
          sessionId: task.session_id,
          tenant: task.tenant,
          workload: task.workload,
          modelRef: task.model_ref,
          engine: task.engine,
          ctx: task.ctx,
          priority: task.priority,
          maxTokens: task.max_tokens,
          deadlineMs: task.deadline_ms,
          seed: task.seed,
          determinism: task.determinism,
          samplerProfileVersion: task.sampler_profile_version,
          prompt: task.prompt,
          correlationId: task.correlation_id,
          promptFormat: task.prompt_format,
          idleTimeoutMs: watchdog.idleMs,
          wallTimeoutMs: watchdog.wallMs,
        },
      },
    },
  };
}
