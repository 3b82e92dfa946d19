// startSidecar: wires the engine slot, the HTTP stream server and the placement control stream.
// A failed engine start or self-test does not stop the sidecar (ORCH-3049): it still serves
// /healthz and /metrics, registers, and heartbeats `ready=false` with the failing step.
import { warmValidators } from '@llama-orch/contracts';
import { adapterModule } from './adapters/registry.js';
import { LeaseStore } from './control/lease-store.js';
import { PlacementConnection } from './control/placement-client.js';
import { buildControlHandlers, buildHeartbeat, buildRegister } from './control-handlers.js';
import { EngineSlot } from './engine-slot.js';
import { createMetrics } from './http/metrics.js';
import { buildHttpServer } from './http/server.js';
import { openStream } from './lease-outcomes.js';
import { createLogger } from './logging.js';
import { ReplicaState } from './replica-state.js';
import { isReady, unreadyReason, type SidecarContext } from './sidecar-context.js';
import type { SidecarHandle, SidecarOptions, SidecarStatus } from './sidecar-options.js';

export type { SidecarHandle, SidecarOptions, SidecarStatus } from './sidecar-options.js';

export async function startSidecar(o: SidecarOptions): Promise<SidecarHandle> {
  const logger = createLogger(
    { replica_id: o.replicaId, pool_id: o.poolId, engine: o.engine ?? 'llamacpp' },
    o.log,
  );
  const log = logger.msg;
  const mod = adapterModule(o.engine ?? 'llamacpp');
  const strict = o.determinismStrict ?? true;
  const state = new ReplicaState();
  // Identity labels are filled in by the slot once the engine is identified (and on reload).
  const metrics = createMetrics({
    engine: mod.engine,
    engine_version: 'unknown',
    pool_id: o.poolId,
    replica_id: o.replicaId,
    model_digest: '',
    canary_hash: '',
  });
  const slot = new EngineSlot(
    {
      mod,
      state,
      metrics,
      strict,
      restart: o.restart !== false,
      policy: o.restartPolicy,
      log,
      onRecovered: () => ctx.control?.reopen(),
    },
    o.modelRef,
  );
  await slot.bringUp(
    {
      supervise: o.supervise,
      external: o.external,
      canary: o.canary ?? true,
      cancelDeadlineMs: o.selfTestCancelDeadlineMs,
    },
    o.modelRef,
    true,
  );
  // Issue 19: the OpenAI body validators compile now, not on this replica's first request. After
  // the engine's self-tests, not before: ~70 ms of CPU at start made 4 of 64 sidecars sharing two
  // cores time out a self-test probe (bench:paths at c=64).
  warmValidators();
  const ctx: SidecarContext = {
    o,
    mod,
    logger,
    log,
    state,
    leases: new LeaseStore(),
    sessions: new Map(),
    metrics,
    slot,
    strict,
    samplerProfile: o.samplerProfile ?? 'v1',
    draining: false,
    reloading: false,
    reloadTarget: '',
    advertiseAddress: '',
  };

  const app = buildHttpServer({
    leases: ctx.leases,
    metrics,
    engine: mod.engine,
    healthz: () => ({ ready: isReady(ctx), reason: unreadyReason(ctx) }),
    openStream: (lease, writer, overrides) => openStream(ctx, lease, writer, overrides),
    replicaId: o.replicaId,
    ...(o.resumeWindowMs !== undefined ? { resumeWindowMs: o.resumeWindowMs } : {}),
  });
  const host = o.host ?? '127.0.0.1';
  await app.listen({ host, port: o.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  ctx.advertiseAddress = `${o.advertiseHost ?? host}:${port}`;
  state.clear('starting');

  const control = new PlacementConnection({
    address: o.placementAddress ?? '127.0.0.1:9003',
    ...(o.controlTls ? { tls: o.controlTls } : {}),
    register: () => buildRegister(ctx),
    heartbeat: () => buildHeartbeat(ctx),
    heartbeatMs: o.heartbeatMs,
    backoffInitialMs: o.backoffInitialMs,
    backoffMaxMs: o.backoffMaxMs,
    log,
    handlers: buildControlHandlers(ctx),
  });
  ctx.control = control;
  // ORCH-3038/4011: an engine crash or failed probe reaches placement at once, not a beat later.
  state.onBecameUnready = () => control.beatNow();
  control.start();

  const status = (): SidecarStatus => {
    const eng = slot.current;
    return {
      ready: isReady(ctx),
      reason: unreadyReason(ctx),
      engineVersion: eng.identity.engineVersion,
      modelDigest: eng.modelDigest,
      canaryHash: eng.canary.hash,
      ctxMax: eng.identity.ctxMax,
      controlConnected: control.connected,
      determinismReasons: eng.determinism.reasons,
      leases: ctx.leases.size,
      modelRef: slot.modelRef,
      reloading: ctx.reloading,
    };
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      control.close();
      for (const s of ctx.sessions.values()) s.cancel('sidecar shutting down');
      await app.close();
      await slot.stopEngine();
    })();
    return closing;
  };

  return {
    port,
    close,
    status,
    get engineProcess() {
      return slot.process();
    },
    get engineBaseUrl() {
      return slot.current.baseUrl;
    },
    get restarts() {
      return slot.restarts;
    },
  };
}
