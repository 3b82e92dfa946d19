// Sidecar registry: one record per connected control stream (ORCH-4010). It tracks what each
// sidecar reported (Register + latest Heartbeat) and whether that is still fresh, sends commands
// down, and reports every change to a ControlSink. It makes no scheduling decision itself.
// It is the one source of truth for a replica's readiness: core's replica registry only holds
// what this registry reported (ControlBridge.replicaChanged is the one writer of
// core.upsertReplica), so anything that changes readiness (a heartbeat, its timeout, a suspect
// replica, a circuit breaker) goes through report() here, never straight into core.
import type { EventEmitter } from 'node:events';
import { ENGINES } from '@llama-orch/core';
import type { Engine, ReplicaState } from '@llama-orch/core';
import type {
  Heartbeat,
  LeaseEvent,
  PlacementCommand,
  Register,
  ReloadResult,
  SidecarMessage,
} from '@llama-orch/proto';

/** The part of a grpc-js ServerDuplexStream the registry uses (a fake in tests). */
export interface ControlCall extends EventEmitter {
  write(message: PlacementCommand): boolean;
  end(): void;
}

export interface ReplicaRecord {
  readonly replicaId: string;
  readonly register: Register;
  readonly engine: Engine;
  readonly connectedAt: number;
  heartbeat: Heartbeat | undefined;
  lastHeartbeatAt: number;
  /** Readiness last reported to the sink, so changes are reported once. */
  reportedReady: boolean;
  /**
   * ORCH-4021: the replica let an Assign time out; Unready until its next heartbeat shows it alive.
   */
  suspect: boolean;
  /**
   * ORCH-4033: the replica refused an Assign; it reports no free slot until its next heartbeat
   * (it stays Ready: refusing a held slot is correct behaviour, not a fault).
   */
  held: boolean;
}

/** Receives registry changes; placement implements it and turns them into core calls. */
export interface ControlSink {
  replicaChanged(record: ReplicaRecord): void;
  replicaGone(record: ReplicaRecord): void;
  leaseEvent(record: ReplicaRecord, event: LeaseEvent): void;
  /** A sidecar's answer to Reload (ORCH-2102); optional until a reload coordinator binds. */
  reloadResult?(record: ReplicaRecord, result: ReloadResult): void;
}

interface RegistryLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface RegistryOptions {
  readonly clock: () => number;
  /** A heartbeat older than this makes the replica Unready (ORCH-4011). */
  readonly heartbeatTimeoutMs: number;
  readonly log?: RegistryLogger;
}

export class ReplicaRegistry {
  private readonly records = new Map<string, { record: ReplicaRecord; call: ControlCall }>();
  private sink: ControlSink | undefined;
  private readonly watchers = new Set<Partial<ControlSink>>();

  constructor(private readonly options: RegistryOptions) {}

  bind(sink: ControlSink): void {
    this.sink = sink;
  }

  /**
   * Also tell `watcher` about every change, after the sink (the reload coordinator follows
   * re-registrations and ReloadResults this way). Returns the unsubscribe function.
   */
  watch(watcher: Partial<ControlSink>): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Serve one `Placement.Connect` stream. */
  handleConnect(call: ControlCall): void {
    let record: ReplicaRecord | undefined;
    const onMessage = (message: SidecarMessage): void => {
      const msg = message.msg;
      if (!msg) return;
      if (msg.$case === 'register') {
        if (record) {
          this.options.log?.warn(
            { replica_id: record.replicaId },
            'control: duplicate Register ignored',
          );
          return;
        }
        record = this.register(call, msg.value);
        return;
      }
      if (!record) {
        // Register must come first; anything else means a confused peer.
        call.write({
          cmd: { $case: 'ack', value: { accepted: false, message: 'Register first' } },
        });
        call.end();
        return;
      }
      if (msg.$case === 'heartbeat') this.heartbeat(record, msg.value);
      else if (msg.$case === 'lease') {
        this.sink?.leaseEvent(record, msg.value);
        for (const w of this.watchers) w.leaseEvent?.(record, msg.value);
      } else {
        this.sink?.reloadResult?.(record, msg.value);
        for (const w of this.watchers) w.reloadResult?.(record, msg.value);
      }
    };
    const onGone = (): void => {
      if (!record) return;
      const current = this.records.get(record.replicaId);
      if (current?.call !== call) return; // already replaced by a newer stream
      this.records.delete(record.replicaId);
      this.options.log?.info(
        { replica_id: record.replicaId },
        'control: stream ended, replica removed',
      );
      this.sink?.replicaGone(record);
      for (const w of this.watchers) w.replicaGone?.(record);
      record = undefined;
    };
    call.on('data', onMessage);
    call.on('end', () => {
      onGone();
      call.end();
    });
    call.on('error', onGone);
    call.on('cancelled', onGone);
    call.on('close', onGone);
  }

  send(replicaId: string, command: PlacementCommand): boolean {
    const entry = this.records.get(replicaId);
    if (!entry) return false;
    entry.call.write(command);
    return true;
  }

  /** Send one command to every connected replica of a pool; returns how many got it. */
  sendToPool(poolId: string, command: PlacementCommand): number {
    let n = 0;
    for (const { record, call } of this.records.values()) {
      if (record.register.poolId !== poolId) continue;
      call.write(command);
      n++;
    }
    return n;
  }

  get(replicaId: string): ReplicaRecord | undefined {
    return this.records.get(replicaId)?.record;
  }

  list(): ReplicaRecord[] {
    return [...this.records.values()].map((e) => e.record);
  }

  get connected(): number {
    return this.records.size;
  }

  /**
   * ORCH-4011: Ready only while the stream is up, the heartbeat fresh and the sidecar ready
   * (ORCH-4021: and no Assign timed out on it since that heartbeat).
   */
  isReady(record: ReplicaRecord): boolean {
    return !record.suspect && this.isFresh(record) && record.heartbeat?.ready === true;
  }

  /** ORCH-4021: take the replica out of placement until its next heartbeat. */
  markSuspect(replicaId: string): void {
    const record = this.records.get(replicaId)?.record;
    if (!record || record.suspect) return;
    record.suspect = true;
    this.report(record);
  }

  /** ORCH-4033: offer the replica with no free slot until its next heartbeat. */
  holdUntilHeartbeat(replicaId: string): void {
    const record = this.records.get(replicaId)?.record;
    if (!record) return;
    // Reported even when already held: core may have counted a slot back since.
    record.held = true;
    this.report(record);
  }

  /**
   * Report the replica to the sink again though nothing it sent changed (a circuit breaker opened
   * or closed: the sink's view of it changes).
   */
  refresh(replicaId: string): void {
    const record = this.records.get(replicaId)?.record;
    if (record) this.report(record);
  }

  /** The last heartbeat is within the heartbeat timeout (ORCH-4011). */
  isFresh(record: ReplicaRecord): boolean {
    return this.options.clock() - record.lastHeartbeatAt <= this.options.heartbeatTimeoutMs;
  }

  toReplicaState(record: ReplicaRecord): ReplicaState {
    const r = record.register;
    return {
      replica_id: r.replicaId,
      pool_id: r.poolId,
      engine: record.engine,
      engine_version: r.engineVersion,
      model_ref: r.modelRef,
      model_digest: normalizeDigest(r.modelDigest),
      sampler_profile_version: r.samplerProfileVersion,
      canary_hash: r.canaryHash,
      ctx_max: r.ctxMax,
      ready: this.isReady(record),
      slots_total: r.slots,
      slots_free: record.held ? 0 : (record.heartbeat?.slotsFree ?? 0),
      kv_usage_ratio: record.heartbeat?.kvUsageRatio ?? 0,
      // ORCH-3132: requests waiting inside the engine, for the queue-depth scorer.
      queue_depth: record.heartbeat?.waiting ?? 0,
    };
  }

  /** Re-check heartbeat freshness; report replicas whose readiness changed. */
  sweep(): void {
    for (const { record } of this.records.values()) {
      if (this.isReady(record) !== record.reportedReady) this.report(record);
    }
  }

  /** End every control stream (gateway shutdown). */
  closeAll(): void {
    for (const { call } of this.records.values()) call.end();
    this.records.clear();
  }

  private register(call: ControlCall, reg: Register): ReplicaRecord | undefined {
    const engine = ENGINES.find((e) => e === reg.engine);
    const problem = !reg.replicaId
      ? 'replica_id is required'
      : !engine
        ? `engine must be one of ${ENGINES.join('|')}`
        : !/^[0-9.]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(reg.advertiseAddress)
          ? 'advertise_address must be a literal ip:port'
          : undefined;
    if (problem || !engine) {
      call.write({ cmd: { $case: 'ack', value: { accepted: false, message: problem ?? '' } } });
      call.end();
      this.options.log?.warn({ replica_id: reg.replicaId, problem }, 'control: Register refused');
      return undefined;
    }
    const previous = this.records.get(reg.replicaId);
    if (previous) {
      // A reconnect beats a half-dead older stream: keep the newest.
      this.records.delete(reg.replicaId);
      previous.call.end();
    }
    const now = this.options.clock();
    const record: ReplicaRecord = {
      replicaId: reg.replicaId,
      register: reg,
      engine,
      connectedAt: now,
      heartbeat: undefined,
      lastHeartbeatAt: Number.NEGATIVE_INFINITY,
      reportedReady: false,
      suspect: false,
      held: false,
    };
    this.records.set(reg.replicaId, { record, call });
    call.write({ cmd: { $case: 'ack', value: { accepted: true, message: '' } } });
    this.options.log?.info(
      {
        replica_id: reg.replicaId,
        pool_id: reg.poolId,
        engine: reg.engine,
        engine_version: reg.engineVersion,
        model_digest: reg.modelDigest,
        address: reg.advertiseAddress,
        active_leases: reg.activeLeases.length,
      },
      'control: replica registered',
    );
    this.report(record);
    return record;
  }

  private heartbeat(record: ReplicaRecord, hb: Heartbeat): void {
    record.heartbeat = hb;
    record.lastHeartbeatAt = this.options.clock();
    record.suspect = false;
    record.held = false;
    this.report(record);
  }

  private report(record: ReplicaRecord): void {
    record.reportedReady = this.isReady(record);
    this.sink?.replicaChanged(record);
    for (const w of this.watchers) w.replicaChanged?.(record);
  }
}

/** Register carries bare hex (placement.proto); config and metrics use `sha256:<hex>`. */
export function normalizeDigest(digest: string): string {
  return /^[0-9a-f]{64}$/.test(digest) ? `sha256:${digest}` : digest;
}
