// Sidecar metrics, exactly the `sidecar` rows of .specs/metrics/otel-prom.md (ORCH-3028): names,
// types and label sets are a contract, so nothing else is exported here (no default process
// metrics). One registry per sidecar so several sidecars can share a process (tests).
import { Counter, Gauge, Registry } from 'prom-client';

export type AbortReason = 'client_disconnect' | 'cancel' | 'watchdog' | 'engine_error' | 'drain';
type LeaseRejectReason = 'missing' | 'unknown' | 'task_mismatch' | 'used' | 'expired';

interface MetricIdentity {
  engine: string;
  engine_version: string;
  pool_id: string;
  replica_id: string;
  /** `sha256:<hex>` */
  model_digest: string;
  canary_hash: string;
}

export interface SidecarMetrics {
  registry: Registry;
  engineUp(up: boolean): void;
  engineRestart(): void;
  streamAborted(reason: AbortReason): void;
  leaseRejected(reason: LeaseRejectReason): void;
  streamsActive(n: number): void;
  controlConnected(up: boolean): void;
  /** A reload (or a first start that could not identify the engine) changed what this replica
   * runs: the series labelled with engine_version / model_digest / canary_hash move with it. */
  setIdentity(id: Pick<MetricIdentity, 'engine_version' | 'model_digest' | 'canary_hash'>): void;
}

export function createMetrics(id: MetricIdentity): SidecarMetrics {
  const registry = new Registry();
  let eng = {
    engine: id.engine,
    engine_version: id.engine_version,
    pool_id: id.pool_id,
    replica_id: id.replica_id,
  };
  const engineUp = new Gauge({
    name: 'sidecar_engine_up',
    help: '1 when the engine answers its health probe, else 0.',
    labelNames: ['engine', 'engine_version', 'pool_id', 'replica_id'],
    registers: [registry],
  });
  const restarts = new Counter({
    name: 'sidecar_engine_restarts_total',
    help: 'Engine process restarts done by the sidecar.',
    labelNames: ['engine', 'engine_version', 'pool_id', 'replica_id'],
    registers: [registry],
  });
  const aborts = new Counter({
    name: 'sidecar_stream_aborts_total',
    help: 'Streams ended before their natural end, by reason.',
    labelNames: ['engine', 'pool_id', 'replica_id', 'reason'],
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'sidecar_lease_rejections_total',
    help: 'Stream requests refused with LEASE_INVALID, by reason.',
    labelNames: ['pool_id', 'replica_id', 'reason'],
    registers: [registry],
  });
  const active = new Gauge({
    name: 'sidecar_streams_active',
    help: 'Client streams being served now.',
    labelNames: ['engine', 'pool_id', 'replica_id'],
    registers: [registry],
  });
  const control = new Gauge({
    name: 'sidecar_control_connected',
    help: '1 while the control stream to placement is up, else 0.',
    labelNames: ['pool_id', 'replica_id'],
    registers: [registry],
  });
  const canary = new Gauge({
    name: 'sidecar_canary_hash_info',
    help: 'Always 1; labels carry the startup canary hash and the versions it was computed with.',
    labelNames: [
      'engine',
      'engine_version',
      'pool_id',
      'replica_id',
      'model_digest',
      'canary_hash',
    ],
    registers: [registry],
  });
  const short = { engine: id.engine, pool_id: id.pool_id, replica_id: id.replica_id };
  const ctl = { pool_id: id.pool_id, replica_id: id.replica_id };
  canary.set({ ...eng, model_digest: id.model_digest, canary_hash: id.canary_hash }, 1);
  engineUp.set(eng, 0);
  // Export the restart counter at 0 from the start, so rate() and restart-storm alerts see a series.
  restarts.inc(eng, 0);
  active.set(short, 0);
  control.set(ctl, 0);
  let up = 0;
  let restartCount = 0;
  return {
    registry,
    engineUp: (isUp) => engineUp.set(eng, (up = isUp ? 1 : 0)),
    engineRestart: () => {
      restartCount += 1;
      restarts.inc(eng);
    },
    streamAborted: (reason) => aborts.inc({ ...short, reason }),
    leaseRejected: (reason) => rejections.inc({ ...ctl, reason }),
    streamsActive: (n) => active.set(short, n),
    controlConnected: (isUp) => control.set(ctl, isUp ? 1 : 0),
    setIdentity: (next) => {
      const old = eng;
      eng = { ...eng, engine_version: next.engine_version };
      canary.reset();
      canary.set({ ...eng, model_digest: next.model_digest, canary_hash: next.canary_hash }, 1);
      if (old.engine_version === eng.engine_version) return;
      // One series per replica: the old version's series go, the count carries over.
      engineUp.remove(old);
      engineUp.set(eng, up);
      restarts.remove(old);
      restarts.inc(eng, restartCount);
    },
  };
}
