// Replica registry fed by the sidecars' Register/Heartbeat reports (through the gateway).
// Per pool it keeps one ReplicaSet per identity and, per set, a heap of Ready replicas with a free
// slot ordered by (load, replica_id): placement looks at its top few entries, never at every replica.
// Each pool serves from exactly one set at a time (sticky until it has no Ready replica left), so
// one pool never mixes identities (ORCH-3007/3046/4017).
import type { PoolState, ReplicaRec, ReplicaSet } from '../model.js';
import type { ModelIdentity, ReplicaSetIdentity, ReplicaState } from '../types.js';
import { IndexedHeap } from '../util/indexed-heap.js';
import type { Candidate } from './plugins.js';

export function replicaSetKey(id: ReplicaSetIdentity): string {
  return [
    id.engine,
    id.engine_version,
    id.model_digest,
    id.sampler_profile_version,
    id.canary_hash,
    String(id.ctx_max),
  ].join('|');
}

function servesIdentity(id: ModelIdentity, s: ReplicaState): boolean {
  return (
    s.model_ref === id.modelRef &&
    (id.modelDigest === undefined || s.model_digest === id.modelDigest)
  );
}

export function freeSlots(rec: ReplicaRec): number {
  const own = rec.state.slots_total - rec.activeLeases;
  // A fresh heartbeat may show the engine busier than our leases explain; trust the lower figure.
  const free = rec.reportFresh ? Math.min(own, rec.state.slots_free) : own;
  return Math.max(0, free);
}

function loadOf(rec: ReplicaRec): number {
  const total = rec.state.slots_total;
  return total <= 0 ? 1 : (total - freeSlots(rec)) / total;
}

export function readyLess(a: ReplicaRec, b: ReplicaRec): boolean {
  const la = loadOf(a);
  const lb = loadOf(b);
  if (la !== lb) return la < lb;
  return a.state.replica_id < b.state.replica_id;
}

export class ReplicaRegistry {
  readonly replicas = new Map<string, ReplicaRec>();
  private setSeq = 0;

  constructor(private readonly pools: Map<string, PoolState>) {}

  /** Whether a replica's identity fits its pool's config (else it never serves). */
  private fits(rec: ReplicaRec): boolean {
    const pool = this.pools.get(rec.state.pool_id);
    if (!pool) return false;
    const c = pool.config;
    const s = rec.state;
    if (s.engine !== c.engine || s.ctx_max < c.ctxMax) return false;
    for (const [field, want] of Object.entries(c.expect)) {
      if (field === 'model_digest') continue; // part of the model identity, below
      if (want !== undefined && s[field as keyof typeof c.expect] !== want) return false;
    }
    // ORCH-3031: during a reload both the pool's model and the reload target are eligible; the
    // sticky serving set (refreshServing) keeps one pool from mixing them.
    const current: ModelIdentity = { modelRef: c.modelRef, modelDigest: c.expect.model_digest };
    return (
      servesIdentity(current, s) ||
      (pool.transition !== undefined && servesIdentity(pool.transition, s))
    );
  }

  /** Recompute eligibility of every replica of a pool (its model identity changed). */
  refreshPool(poolId: string): void {
    for (const rec of this.replicas.values()) {
      if (rec.state.pool_id !== poolId) continue;
      rec.eligible = this.fits(rec);
      this.reindex(rec);
    }
  }

  upsert(state: ReplicaState): ReplicaRec {
    const key = replicaSetKey(state);
    let rec = this.replicas.get(state.replica_id);
    if (rec && (rec.setKey !== key || rec.state.pool_id !== state.pool_id)) {
      // Identity or pool changed (e.g. a reload): the replica moves to another set.
      this.detach(rec);
      rec.state = state;
      rec.setKey = key;
      this.attach(rec);
    } else if (rec) {
      rec.state = state;
    } else {
      rec = {
        state,
        setKey: key,
        activeLeases: 0,
        reportFresh: true,
        readyPos: -1,
        eligible: false,
        countedReady: false,
        countedFree: 0,
        countedSlots: 0,
      };
      this.replicas.set(state.replica_id, rec);
      this.attach(rec);
    }
    rec.reportFresh = true;
    rec.eligible = this.fits(rec);
    this.reindex(rec);
    return rec;
  }

  remove(replicaId: string): ReplicaRec | undefined {
    const rec = this.replicas.get(replicaId);
    if (!rec) return undefined;
    this.replicas.delete(replicaId);
    this.detach(rec);
    return rec;
  }

  /** Our own lease count changed; the last heartbeat no longer describes the replica. */
  leaseDelta(rec: ReplicaRec, delta: number): void {
    rec.activeLeases = Math.max(0, rec.activeLeases + delta);
    rec.reportFresh = false;
    this.reindex(rec);
  }

  candidate(rec: ReplicaRec): Candidate {
    return {
      replicaId: rec.state.replica_id,
      poolId: rec.state.pool_id,
      setKey: rec.setKey,
      ready: rec.state.ready,
      eligible: rec.eligible,
      freeSlots: freeSlots(rec),
      slotsTotal: rec.state.slots_total,
      load: loadOf(rec),
      kvUsageRatio: rec.state.kv_usage_ratio ?? 0,
      queueDepth: rec.state.queue_depth ?? 0,
    };
  }

  /** Pool has at least one registered replica, Ready or not (POOL_UNREADY vs POOL_UNAVAILABLE). */
  hasMembers(pool: PoolState): boolean {
    for (const set of pool.sets.values()) if (set.members.size > 0) return true;
    return false;
  }

  private setOf(rec: ReplicaRec): ReplicaSet | undefined {
    return this.pools.get(rec.state.pool_id)?.sets.get(rec.setKey);
  }

  private attach(rec: ReplicaRec): void {
    const pool = this.pools.get(rec.state.pool_id);
    if (!pool) return;
    let set = pool.sets.get(rec.setKey);
    if (!set) {
      set = {
        key: rec.setKey,
        poolId: pool.config.id,
        members: new Set(),
        ready: new IndexedHeap<ReplicaRec>(readyLess, {
          get: (r) => r.readyPos,
          set: (r, p) => {
            r.readyPos = p;
          },
        }),
        readyCount: 0,
        freeSlots: 0,
        readySlots: 0,
        samplerProfileVersion: rec.state.sampler_profile_version,
        createdSeq: this.setSeq++,
      };
      pool.sets.set(rec.setKey, set);
    }
    set.members.add(rec);
  }

  private detach(rec: ReplicaRec): void {
    const pool = this.pools.get(rec.state.pool_id);
    const set = this.setOf(rec);
    if (!pool || !set) return;
    set.ready.remove(rec);
    set.members.delete(rec);
    if (rec.countedReady) set.readyCount--;
    set.freeSlots -= rec.countedFree;
    set.readySlots -= rec.countedSlots;
    rec.countedReady = false;
    rec.countedFree = 0;
    rec.countedSlots = 0;
    if (set.members.size === 0) pool.sets.delete(set.key);
    this.refreshServing(pool);
  }

  private reindex(rec: ReplicaRec): void {
    const pool = this.pools.get(rec.state.pool_id);
    const set = this.setOf(rec);
    if (!pool || !set) return;
    const usable = rec.state.ready && rec.eligible;
    if (usable !== rec.countedReady) {
      set.readyCount += usable ? 1 : -1;
      rec.countedReady = usable;
    }
    const free = usable ? freeSlots(rec) : 0;
    const slots = usable ? rec.state.slots_total : 0;
    set.freeSlots += free - rec.countedFree;
    set.readySlots += slots - rec.countedSlots;
    rec.countedFree = free;
    rec.countedSlots = slots;
    if (usable && freeSlots(rec) > 0) {
      if (set.ready.has(rec)) set.ready.update(rec);
      else set.ready.push(rec);
    } else {
      set.ready.remove(rec);
    }
    this.refreshServing(pool);
  }

  private refreshServing(pool: PoolState): void {
    const current = pool.serving;
    if (current && current.readyCount > 0 && pool.sets.get(current.key) === current) return;
    let best: ReplicaSet | undefined;
    for (const set of pool.sets.values()) {
      if (set.readyCount === 0) continue;
      if (
        !best ||
        set.readyCount > best.readyCount ||
        (set.readyCount === best.readyCount && set.createdSeq < best.createdSeq)
      ) {
        best = set;
      }
    }
    pool.serving = best;
  }
}
