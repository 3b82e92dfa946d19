// ORCH-3075/3076: weighted fair queueing by stride scheduling. Each backlogged flow carries a
// virtual "pass"; the flow with the smallest pass is served next and then advances by cost/weight.
// A flow that (re)joins starts at the current virtual time, so idle flows cannot hoard credit.
// With every flow backlogged, flow i's share of n picks stays within one pick per flow of
// n * w_i / sum(w) (see stride-scheduler.test.ts for the stated tolerance).
import { IndexedHeap } from '../util/indexed-heap.js';

export interface StrideFlow {
  /** Deterministic tie-break when passes are equal (smaller wins). */
  tie: string;
  weight: number;
  pass: number;
  stridePos: number;
}

function strideLess(a: StrideFlow, b: StrideFlow): boolean {
  if (a.pass !== b.pass) return a.pass < b.pass;
  return a.tie < b.tie;
}

export class StrideScheduler<F extends StrideFlow> {
  private readonly heap = new IndexedHeap<F>(strideLess, {
    get: (f) => f.stridePos,
    set: (f, p) => {
      f.stridePos = p;
    },
  });
  private virtualTime = 0;

  get activeCount(): number {
    return this.heap.size;
  }

  isActive(flow: F): boolean {
    return this.heap.has(flow);
  }

  activate(flow: F): void {
    if (this.heap.has(flow)) return;
    flow.pass = Math.max(flow.pass, this.virtualTime);
    this.heap.push(flow);
  }

  deactivate(flow: F): void {
    this.heap.remove(flow);
  }

  peek(): F | undefined {
    return this.heap.peek();
  }

  /** Account one unit of service to `flow` (which must be active). */
  charge(flow: F, cost = 1): void {
    this.virtualTime = Math.max(this.virtualTime, flow.pass);
    flow.pass += cost / flow.weight;
    this.heap.update(flow);
  }
}
