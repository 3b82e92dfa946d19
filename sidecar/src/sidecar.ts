// startSidecar: wires engine startup, the HTTP stream server and the placement control stream.
import type { Heartbeat, LeaseEvent, LeaseFinished, Register } from '@llama-orch/proto';
import { adapterModule } from './adapters/registry.js';
import { identityFeatures } from './adapters/simulated.js';
import { LeaseStore, type Lease } from './control/lease-store.js';
import { PlacementConnection } from './control/placement-client.js';
import type { EngineProcess } from './engine/process.js';
import { watchEngine } from './engine/engine-watch.js';
import type { RestartPolicy } from './engine/restarter.js';
import {
  bringUpEngine,
  type ExternalEngineOptions,
  type SupervisedEngineOptions,
} from './engine/startup.js';
import { createMetrics } from './http/metrics.js';
import { buildHttpServer } from './http/server.js';
import { createLogger } from './logging.js';
import { tracedAdapter } from './tracing.js';
import { ReplicaState } from './replica-state.js';
import { confirmSlotIdle } from './engine/confirm-idle.js';
import { LeaseStream } from './streaming/lease-stream.js';

const DRAIN_REASON = 'drain deadline';

export interface SidecarOptions {
  replicaId: string;
  poolId: string;
  /** Adapter name from adapters/registry.ts; default llamacpp. */
  engine?: string;
  modelRef: string;
  /** HTTP bind host/port; port 0 picks a free one. */
  host?: string;
  port?: number;
  /** Host placement should route to (default: host). */
  advertiseHost?: string;
  /** Placement control address, default 127.0.0.1:9003. */
  placementAddress?: string;
  /** Launch and supervise the engine (local mode)... */
  supervise?: SupervisedEngineOptions;
  /** ...or attach to an engine started elsewhere (pod mode). */
  external?: ExternalEngineOptions;
  samplerProfile?: string;
  /** Strict: a non-compliant engine refuses Ready (ORCH-4016). Default true. */
  determinismStrict?: boolean;
  canary?: boolean;
  heartbeatMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Unclaimed Assigns expire after this (default 60 s). */
  leaseTtlMs?: number;
  /** Idle watchdog per stream: no engine output for this long → DECODE_TIMEOUT (default 30 s). */
  idleTimeoutMs?: number;
  /** Watchdog before the first token, covering prefill (default 120 s). */
  firstTokenTimeoutMs?: number;
  /** After a cancel, the engine slot must be idle within this (default 3 s) or the replica turns unready. */
  cancelIdleDeadlineMs?: number;
  /** Supervised mode: restart a crashed engine with backoff (ORCH-3038); default on. */
  restart?: boolean;
  restartPolicy?: Partial<RestartPolicy>;
  log?: (msg: string) => void;
}

export interface SidecarStatus {
  ready: boolean;
  reason: string;
  engineVersion: string;
  modelDigest: string;
  canaryHash: string;
  ctxMax: number;
  controlConnected: boolean;
  determinismReasons: string[];
  /** Leases held (assigned, streaming, or awaiting slot-idle confirmation). */
  leases: number;
}

export interface SidecarHandle {
  port: number;
  /** Stops control, streams, HTTP and the supervised engine. */
  close(): Promise<void>;
  status(): SidecarStatus;
  /** Supervised engine process (tests kill it to simulate a crash). */
  engineProcess?: EngineProcess;
  engineBaseUrl: string;
}

export async function startSidecar(o: SidecarOptions): Promise<SidecarHandle> {
  const logger = createLogger(
    { replica_id: o.replicaId, pool_id: o.poolId, engine: o.engine ?? 'llamacpp' },
    o.log,
  );
  const log = logger.msg;
  const mod = adapterModule(o.engine ?? 'llamacpp');
  const strict = o.determinismStrict ?? true;
  const samplerProfile = o.samplerProfile ?? 'v1';
  const state = new ReplicaState();
  const leases = new LeaseStore();
  const sessions = new Map<string, LeaseStream>();
  let draining = false;

  const eng = await bringUpEngine(mod, {
    supervise: o.supervise,
    external: o.external,
    canary: o.canary ?? true,
  });
  const adapter = eng.adapter;
  const metrics = createMetrics({
    engine: mod.engine,
    engine_version: eng.identity.engineVersion,
    pool_id: o.poolId,
    replica_id: o.replicaId,
    model_digest: `sha256:${eng.modelDigest}`,
    canary_hash: eng.canary.hash,
  });
  metrics.engineUp(true);
  if (!eng.determinism.compliant) {
    const why = eng.determinism.reasons.join('; ');
    if (strict) state.set('determinism', `ORCH-4016 engine not deterministic: ${why}`);
    else log(`determinism best-effort: ${why}`);
  }
  if (eng.canary.error) state.set('canary', eng.canary.error);
  const engineWatch = watchEngine({
    eng,
    adapter,
    state,
    metrics,
    strict,
    restart: o.restart !== false,
    policy: o.restartPolicy,
    log,
  });

  // Created after the HTTP server (Register needs its port); lease events before that are dropped.
  const ctl: { conn?: PlacementConnection } = {};
  const sendLease = (lease: Lease, event: LeaseEvent['event']): void =>
    ctl.conn?.sendLease({ leaseId: lease.leaseId, taskId: lease.task.taskId, event });

  const onFinished = (lease: Lease, f: LeaseFinished): void => {
    sessions.delete(lease.leaseId);
    metrics.streamsActive(sessions.size);
    // A lease canceled before its stream arrived was reported (and freed) at cancel time.
    if (lease.reported) return;
    sendLease(lease, { $case: 'finished', value: f });
    logger.event(
      {
        lease_id: lease.leaseId,
        task_id: lease.task.taskId,
        session_id: lease.task.sessionId,
        tenant: lease.task.tenant,
        correlation_id: lease.task.correlationId,
        engine_version: eng.identity.engineVersion,
        model_digest: eng.modelDigest,
        sampler_profile_version: lease.task.samplerProfileVersion || samplerProfile,
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
    void confirmSlotIdle(adapter, o.cancelIdleDeadlineMs ?? 3000).then((idle) => {
      if (!idle)
        state.set('slot', 'engine slot still busy after cancel (engine ignored the abort)');
      leases.release(lease.leaseId);
    });
  };

  const cancelLease = (leaseId: string, reason: string): void => {
    const lease = leases.cancel(leaseId, reason);
    if (lease?.state !== 'assigned') return;
    // Canceled before its stream arrived: the slot is free now; report the outcome at once.
    metrics.streamAborted(reason === DRAIN_REASON ? 'drain' : 'cancel');
    sendLease(lease, {
      $case: 'finished',
      value: {
        reason: 'canceled',
        errorCode: '',
        tokensIn: 0,
        tokensOut: 0,
        firstTokenMs: 0,
        decodeTimeMs: 0,
      },
    });
  };

  const app = buildHttpServer({
    leases,
    metrics,
    engine: mod.engine,
    healthz: () => ({ ready: state.ready && !draining, reason: state.reason }),
    openStream: (lease, writer) => {
      const session = new LeaseStream(lease, writer, {
        adapter: tracedAdapter(adapter),
        defaultSamplerProfile: samplerProfile,
        now: () => performance.now(),
        onStarted: (l) => sendLease(l, { $case: 'started', value: {} }),
        onAborted: (reason) => {
          if (!lease.reported) metrics.streamAborted(reason);
        },
        idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
        firstTokenTimeoutMs: o.firstTokenTimeoutMs ?? 120_000,
        onFinished,
        onEngineFailure: (reason) => {
          state.set('probe', `WORKER_RESET: ${reason}`);
          metrics.engineUp(false);
        },
      });
      lease.onCancel = (reason) =>
        session.cancel(reason, reason === DRAIN_REASON ? 'drain' : 'cancel');
      sessions.set(lease.leaseId, session);
      metrics.streamsActive(sessions.size);
      return session;
    },
  });
  const host = o.host ?? '127.0.0.1';
  await app.listen({ host, port: o.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  state.clear('starting');

  const register = (): Register => ({
    replicaId: o.replicaId,
    poolId: o.poolId,
    engine: mod.engine,
    engineVersion: eng.identity.engineVersion,
    modelRef: o.modelRef,
    modelDigest: eng.modelDigest,
    samplerProfileVersion: samplerProfile,
    advertiseAddress: `${o.advertiseHost ?? host}:${port}`,
    slots: 1,
    ctxMax: eng.identity.ctxMax,
    features: [
      'seed',
      'cancel',
      'sampler_profiles:' + adapter.samplerProfiles.join(','),
      ...identityFeatures(eng.identity),
    ],
    canaryHash: eng.canary.hash,
    determinismStrict: strict,
    activeLeases: leases.active().map((l) => ({ leaseId: l.leaseId, taskId: l.task.taskId })),
  });

  const heartbeat = async (): Promise<Heartbeat> => {
    let running = 0;
    let waiting = 0;
    let kv = 0;
    try {
      const load = await adapter.load();
      running = load.running;
      waiting = load.waiting;
      kv = load.kvUsageRatio;
      // A probe success clears a transient failure; a dead supervised child stays `engine`.
      state.clear('probe');
      if (!state.has('engine')) metrics.engineUp(true);
      if (state.has('slot') && load.slotsBusy === 0 && sessions.size === 0) state.clear('slot');
    } catch (err) {
      const why = `engine probe failed: ${err instanceof Error ? err.message : String(err)}`;
      // While a stream runs, llama-server answers probes only between decode steps (a long
      // prefill can exceed the probe timeout); the stream itself reports real failures.
      if (sessions.size > 0) {
        log(`${why} (stream in flight; not marking unready)`);
      } else {
        state.set('probe', why);
        metrics.engineUp(false);
      }
    }
    for (const l of leases.expire(o.leaseTtlMs ?? 60_000)) {
      sendLease(l, {
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
    const ready = state.ready && !draining;
    return {
      ready,
      unreadyReason: draining
        ? ['draining', state.reason].filter(Boolean).join('; ')
        : state.reason,
      slotsFree: ready ? Math.max(0, 1 - leases.size) : 0,
      running,
      waiting,
      kvUsageRatio: kv,
    };
  };

  const control = new PlacementConnection({
    address: o.placementAddress ?? '127.0.0.1:9003',
    register,
    heartbeat,
    heartbeatMs: o.heartbeatMs,
    backoffInitialMs: o.backoffInitialMs,
    backoffMaxMs: o.backoffMaxMs,
    log,
    handlers: {
      onAssign: (a) => {
        // Placement may resend an Assign after a reconnect: acknowledge it again.
        if (leases.has(a.leaseId)) return true;
        // No `accepted` event means placement times the Assign out and requeues (wire-protocol.md).
        const strictTask = a.task?.determinism === 'strict';
        const refusal = draining
          ? 'draining'
          : strictTask && !eng.determinism.compliant
            ? 'strict task on a replica that is not deterministic (ORCH-4016)'
            : !state.ready
              ? state.reason
              : leases.size > 0
                ? 'slot taken'
                : undefined;
        if (refusal) {
          log(`assign ${a.leaseId} refused: ${refusal}`);
          return false;
        }
        const r = leases.accept(a);
        if (!r.ok) log(`assign ${a.leaseId} refused: ${r.reason}`);
        return r.ok;
      },
      onCancel: (c) => cancelLease(c.leaseId, c.reason),
      onDrain: (d) => {
        draining = true;
        if (d.deadlineMs > 0) {
          setTimeout(() => {
            for (const l of leases.active()) cancelLease(l.leaseId, DRAIN_REASON);
          }, d.deadlineMs).unref();
        }
      },
      onReload: (r) => log(`reload to ${r.newModelRef} requested: not supported yet (ORCH-2102)`),
      onConnectionChange: (up, detail) => {
        metrics.controlConnected(up);
        log(`control ${up ? 'up' : 'down'}: ${detail}`);
      },
    },
  });
  ctl.conn = control;
  control.start();

  const status = (): SidecarStatus => ({
    ready: state.ready && !draining,
    reason: state.reason,
    engineVersion: eng.identity.engineVersion,
    modelDigest: eng.modelDigest,
    canaryHash: eng.canary.hash,
    ctxMax: eng.identity.ctxMax,
    controlConnected: control.connected,
    determinismReasons: eng.determinism.reasons,
    leases: leases.size,
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      control.close();
      for (const s of sessions.values()) s.cancel('sidecar shutting down');
      engineWatch.stop();
      await app.close();
      await engineWatch.current()?.stop();
    })();
    return closing;
  };

  return {
    port,
    close,
    status,
    get engineProcess() {
      return engineWatch.current();
    },
    engineBaseUrl: eng.baseUrl,
  };
}
