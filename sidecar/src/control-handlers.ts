// What the sidecar says to placement (Register, Heartbeat) and how it answers placement's
// commands (Assign, Cancel, Drain, Reload) — ORCH-4010, ORCH-4011, ORCH-2101, ORCH-2102.
import type { Heartbeat, Register } from '@llama-orch/proto';
import { identityFeatures } from './adapters/simulated.js';
import type { Lease } from './control/lease-store.js';
import type { ControlHandlers } from './control/placement-client.js';
import { cancelLease, sendLease } from './lease-outcomes.js';
import { runReload } from './reload.js';
import { promptFormatOf } from './streaming/lease-stream.js';
import { DRAIN_REASON, isReady, unreadyReason, type SidecarContext } from './sidecar-context.js';

/**
 * How many leases this replica runs at once: the engine's slots (llama-server `--parallel N`),
 * or 1 under strict determinism, which needs one pinned slot (ORCH-4016). Before, every sidecar
 * took one lease whatever its engine could run, so a multi-slot engine sat mostly idle.
 */
function leaseCapacity(ctx: SidecarContext): number {
  return ctx.strict ? 1 : Math.max(1, ctx.slot.current.identity.slots);
}

export function buildRegister(ctx: SidecarContext): Register {
  const eng = ctx.slot.current;
  return {
    replicaId: ctx.o.replicaId,
    poolId: ctx.o.poolId,
    engine: ctx.mod.engine,
    engineVersion: eng.identity.engineVersion,
    modelRef: ctx.slot.modelRef,
    modelDigest: eng.modelDigest,
    samplerProfileVersion: ctx.samplerProfile,
    advertiseAddress: ctx.advertiseAddress,
    slots: leaseCapacity(ctx),
    ctxMax: eng.identity.ctxMax,
    features: [
      'seed',
      'cancel',
      'sampler_profiles:' + eng.adapter.samplerProfiles.join(','),
      ...identityFeatures(eng.identity),
    ],
    canaryHash: eng.canary.hash,
    determinismStrict: ctx.strict,
    activeLeases: ctx.leases.active().map((l) => ({ leaseId: l.leaseId, taskId: l.task.taskId })),
  };
}

/** Probes the engine's load; a failed probe marks the replica unready unless a stream runs. */
async function probeLoad(
  ctx: SidecarContext,
): Promise<{ running: number; waiting: number; kv: number }> {
  const { state, metrics, sessions } = ctx;
  const eng = ctx.slot.current;
  // No engine to probe: a failed self-test, a reload in progress, a dead engine (restarting or
  // given up) says why already; a probe failure on top would only bury that reason.
  if (eng.failure || ctx.reloading || state.has('engine') || state.has('restart_storm'))
    return { running: 0, waiting: 0, kv: 0 };
  try {
    const load = await eng.adapter.load();
    // A probe success clears a transient failure; a dead supervised child stays `engine`.
    state.clear('probe');
    if (!state.has('engine') && !state.has('restart_storm')) metrics.engineUp(true);
    if (state.has('slot') && load.slotsBusy === 0 && sessions.size === 0) state.clear('slot');
    return { running: load.running, waiting: load.waiting, kv: load.kvUsageRatio };
  } catch (err) {
    const why = `engine probe failed: ${err instanceof Error ? err.message : String(err)}`;
    // While a stream runs, llama-server answers probes only between decode steps (a long
    // prefill can exceed the probe timeout); the stream itself reports real failures.
    if (sessions.size > 0) {
      ctx.log(`${why} (stream in flight; not marking unready)`);
    } else {
      state.set('probe', why);
      metrics.engineUp(false);
    }
    return { running: 0, waiting: 0, kv: 0 };
  }
}

export async function buildHeartbeat(ctx: SidecarContext): Promise<Heartbeat> {
  const load = await probeLoad(ctx);
  for (const l of ctx.leases.expire(ctx.o.leaseTtlMs ?? 60_000)) {
    sendLease(ctx, l, {
      $case: 'finished',
      value: {
        reason: 'error',
        errorCode: 'LEASE_INVALID',
        tokensIn: 0,
        tokensOut: 0,
        firstTokenMs: 0,
        decodeTimeMs: 0,
      },
    });
  }
  const ready = isReady(ctx);
  return {
    ready,
    unreadyReason: ready ? '' : unreadyReason(ctx),
    slotsFree: ready ? Math.max(0, leaseCapacity(ctx) - ctx.leases.size) : 0,
    running: load.running,
    waiting: load.waiting,
    kvUsageRatio: load.kv,
  };
}

/**
 * Issue 19: what the engine can do before the stream request arrives (the chat template) starts
 * now, overlapping the Assign's answer, Envoy's routing and the client's request.
 */
function prepareLease(ctx: SidecarContext, lease: Lease): void {
  if (lease.prepared) return; // an Assign resent after a reconnect
  const adapter = ctx.slot.adapter;
  const task = lease.task;
  const prompt = adapter.prepare?.({
    prompt: task.prompt,
    promptFormat: promptFormatOf(task),
  });
  if (prompt) lease.prepared = { adapter, prompt };
}

/** The one refusal that says the replica is healthy but busy (ORCH-4033). */
const SLOT_TAKEN = 'slot taken';

function refusal(ctx: SidecarContext, strictTask: boolean): string | undefined {
  if (ctx.reloading) return 'reloading';
  if (ctx.draining) return 'draining';
  if (strictTask && !ctx.slot.current.determinism.compliant)
    return 'strict task on a replica that is not deterministic (ORCH-4016)';
  if (!ctx.state.ready) return ctx.state.reason;
  if (ctx.leases.size >= leaseCapacity(ctx)) return SLOT_TAKEN;
  return undefined;
}

export function buildControlHandlers(ctx: SidecarContext): ControlHandlers {
  const { leases, log, metrics } = ctx;
  let drainDeadline: NodeJS.Timeout | undefined;
  return {
    onAssign: (a) => {
      // Placement may resend an Assign after a reconnect: acknowledge it again.
      if (leases.has(a.leaseId)) return { accepted: true };
      const why = refusal(ctx, a.task?.determinism === 'strict');
      const r = why === undefined ? leases.accept(a) : { ok: false as const, reason: why };
      if (r.ok) {
        prepareLease(ctx, r.lease);
        return { accepted: true };
      }
      log(`assign ${a.leaseId} refused: ${r.reason}`);
      // ORCH-4033: said at once, so placement re-queues without waiting out its accept timeout.
      return { accepted: false, reason: r.reason, busy: r.reason === SLOT_TAKEN };
    },
    onCancel: (c) => cancelLease(ctx, c.leaseId, c.reason),
    onDrain: (d) => {
      clearTimeout(drainDeadline);
      if (d.resume) {
        // Undrain (POST /v1/pools/{id}/undrain): accept Assigns again.
        ctx.draining = false;
        log('drain lifted');
        return;
      }
      ctx.draining = true;
      if (d.deadlineMs > 0) {
        drainDeadline = setTimeout(() => {
          for (const l of leases.active()) cancelLease(ctx, l.leaseId, DRAIN_REASON);
        }, d.deadlineMs).unref();
      }
    },
    onReload: (r) => void runReload(ctx, r),
    onConnectionChange: (up, detail) => {
      metrics.controlConnected(up);
      log(`control ${up ? 'up' : 'down'}: ${detail}`);
    },
  };
}
