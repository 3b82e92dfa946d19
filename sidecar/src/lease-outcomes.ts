// Lease life on the data path: open a stream for a claimed lease, report how it ended
// (ORCH-4015), cancel leases (Cancel, drain deadline, reload) and hold the slot after an abort
// until the engine confirms it idle (ORCH-4013).
import type { LeaseEvent, LeaseFinished } from '@llama-orch/proto';
import type { Lease } from './control/lease-store.js';
import { confirmSlotIdle } from './engine/confirm-idle.js';
import type { TaskEventWriter } from './sse/stream-writer.js';
import { DRAIN_REASON, type SidecarContext } from './sidecar-context.js';
import { LeaseStream } from './streaming/lease-stream.js';
import type { RequestOverrides } from './streaming/lease-stream.js';
import { tracedAdapter } from './tracing.js';

const CANCELED_UNSTARTED: LeaseFinished = {
  reason: 'canceled',
  errorCode: '',
  tokensIn: 0,
  tokensOut: 0,
  firstTokenMs: 0,
  decodeTimeMs: 0,
};

export function sendLease(ctx: SidecarContext, lease: Lease, event: LeaseEvent['event']): void {
  // Before the control stream exists (HTTP server not yet listening) there is no lease to report.
  ctx.control?.sendLease({ leaseId: lease.leaseId, taskId: lease.task.taskId, event });
}

function onFinished(ctx: SidecarContext, lease: Lease, f: LeaseFinished): void {
  const { sessions, metrics, leases, slot } = ctx;
  sessions.delete(lease.leaseId);
  metrics.streamsActive(sessions.size);
  // A lease canceled before its stream arrived was reported (and freed) at cancel time.
  if (lease.reported) return;
  sendLease(ctx, lease, { $case: 'finished', value: f });
  const eng = slot.current;
  ctx.logger.event(
    {
      lease_id: lease.leaseId,
      task_id: lease.task.taskId,
      session_id: lease.task.sessionId,
      tenant: lease.task.tenant,
      correlation_id: lease.task.correlationId,
      engine_version: eng.identity.engineVersion,
      model_digest: eng.modelDigest,
      sampler_profile_version: lease.task.samplerProfileVersion || ctx.samplerProfile,
      queue_position: lease.queuePosition,
      reason: f.reason,
      error_code: f.errorCode || undefined,
      tokens_in: f.tokensIn,
      tokens_out: f.tokensOut,
      first_token_ms: f.firstTokenMs,
      decode_time_ms: f.decodeTimeMs,
    },
    'lease finished',
  );
  if (f.reason !== 'canceled') {
    leases.release(lease.leaseId);
    return;
  }
  // An aborted request frees the slot only once the engine confirms it (llama.cpp has ignored
  // disconnects in some builds): until then the lease keeps the slot, so nothing new is accepted.
  // On a multi-slot replica the other leases may keep slots busy: only this one must be freed.
  const others = (): number => Math.max(0, leases.size - 1);
  void confirmSlotIdle(eng.adapter, ctx.o.cancelIdleDeadlineMs ?? 3000, 100, others).then(
    (idle) => {
      if (!idle)
        ctx.state.set('slot', 'engine slot still busy after cancel (engine ignored the abort)');
      leases.release(lease.leaseId);
    },
  );
}

export function cancelLease(ctx: SidecarContext, leaseId: string, reason: string): void {
  const lease = ctx.leases.cancel(leaseId, reason);
  if (lease?.state !== 'assigned') return;
  // Canceled before its stream arrived: the slot is free now; report the outcome at once.
  ctx.metrics.streamAborted(reason === DRAIN_REASON ? 'drain' : 'cancel');
  sendLease(ctx, lease, { $case: 'finished', value: CANCELED_UNSTARTED });
}

export function openStream(
  ctx: SidecarContext,
  lease: Lease,
  writer: TaskEventWriter,
  overrides: RequestOverrides = {},
): LeaseStream {
  const { o, metrics, sessions } = ctx;
  // The prompt rendered at accept is the task's own: not for a request that brings its own
  // prompt or conversation (the OpenAI routes), nor after a reload swapped the adapter.
  const own =
    overrides.prompt === undefined &&
    overrides.messages === undefined &&
    overrides.promptFormat === undefined;
  const prepared =
    own && lease.prepared?.adapter === ctx.slot.adapter ? lease.prepared.prompt : undefined;
  const session = new LeaseStream(
    lease,
    writer,
    {
      adapter: tracedAdapter(ctx.slot.adapter),
      defaultSamplerProfile: ctx.samplerProfile,
      now: () => performance.now(),
      onStarted: (l) => sendLease(ctx, l, { $case: 'started', value: {} }),
      onAborted: (reason) => {
        if (!lease.reported) metrics.streamAborted(reason);
      },
      idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
      firstTokenTimeoutMs: o.firstTokenTimeoutMs ?? 120_000,
      onFinished: (l, f) => onFinished(ctx, l, f),
      onEngineFailure: (reason) => {
        ctx.state.set('probe', `WORKER_RESET: ${reason}`);
        metrics.engineUp(false);
      },
    },
    prepared ? { ...overrides, preparedPrompt: prepared } : overrides,
  );
  lease.onCancel = (reason) => session.cancel(reason, reason === DRAIN_REASON ? 'drain' : 'cancel');
  sessions.set(lease.leaseId, session);
  metrics.streamsActive(sessions.size);
  return session;
}
