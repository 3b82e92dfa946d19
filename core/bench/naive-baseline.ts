// The naive baseline the benchmark compares against: the same policy (stride across priorities,
// WFQ across tenants, EDF/FIFO inside a flow, least-load placement with replica_id tie-break), but
// every decision scans every queued task and every replica.
import type { Priority } from '../src/index.js';

export interface NaiveTask {
  id: string;
  tenant: string;
  priority: Priority;
  seq: number;
  absDeadline: number;
}

interface NaiveReplica {
  id: string;
  ready: boolean;
  slotsTotal: number;
  active: number;
}

const PRIO_WEIGHT: Record<Priority, number> = { interactive: 8, batch: 1 };

export class NaiveScheduler {
  queued: NaiveTask[] = [];
  replicas: NaiveReplica[] = [];
  private prioPass: Record<Priority, number> = { interactive: 0, batch: 0 };
  private tenantPass = new Map<string, number>();
  private vt: Record<Priority, number> = { interactive: 0, batch: 0 };
  private prioVt = 0;

  decide(): { task: NaiveTask; replica: NaiveReplica } | undefined {
    // One scan over all tasks: which priorities and tenants are backlogged, and each flow's head.
    const heads = new Map<string, NaiveTask>();
    const present: Record<Priority, boolean> = { interactive: false, batch: false };
    for (const t of this.queued) {
      present[t.priority] = true;
      const key = `${t.priority}/${t.tenant}`;
      const h = heads.get(key);
      if (
        !h ||
        t.absDeadline < h.absDeadline ||
        (t.absDeadline === h.absDeadline && t.seq < h.seq)
      ) {
        heads.set(key, t);
      }
    }
    let prio: Priority | undefined;
    for (const p of ['interactive', 'batch'] as Priority[]) {
      if (!present[p]) continue;
      const pass = Math.max(this.prioPass[p], this.prioVt);
      if (prio === undefined || pass < Math.max(this.prioPass[prio], this.prioVt)) prio = p;
    }
    if (prio === undefined) return undefined;
    let best: NaiveTask | undefined;
    let bestPass = Infinity;
    for (const [key, t] of heads) {
      if (!key.startsWith(`${prio}/`)) continue;
      const pass = Math.max(this.tenantPass.get(key) ?? 0, this.vt[prio]);
      if (pass < bestPass || (pass === bestPass && best && t.tenant < best.tenant)) {
        best = t;
        bestPass = pass;
      }
    }
    if (!best) return undefined;
    let replica: NaiveReplica | undefined;
    let bestLoad = Infinity;
    for (const r of this.replicas) {
      if (!r.ready || r.active >= r.slotsTotal) continue;
      const load = r.active / r.slotsTotal;
      if (load < bestLoad || (load === bestLoad && replica && r.id < replica.id)) {
        replica = r;
        bestLoad = load;
      }
    }
    if (!replica) return undefined;
    const key = `${prio}/${best.tenant}`;
    this.vt[prio] = Math.max(this.vt[prio], bestPass);
    this.tenantPass.set(key, bestPass + 1);
    const pp = Math.max(this.prioPass[prio], this.prioVt);
    this.prioVt = Math.max(this.prioVt, pp);
    this.prioPass[prio] = pp + 1 / PRIO_WEIGHT[prio];
    this.queued.splice(this.queued.indexOf(best), 1);
    replica.active += 1;
    return { task: best, replica };
  }

  /**
   * Untimed set-up: the oldest `n` tasks take slots round-robin without a decision each (n full
   * scans of 100,000 queued tasks would take longer than the whole timed run).
   */
  occupy(n: number): { task: NaiveTask; replica: NaiveReplica }[] {
    return this.queued.splice(0, n).map((task, i) => {
      const replica = this.replicas[i % this.replicas.length] as NaiveReplica;
      replica.active += 1;
      return { task, replica };
    });
  }
}
