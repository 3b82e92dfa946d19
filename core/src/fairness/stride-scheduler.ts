// ORCH-3075/3076: weighted fair queueing by stride scheduling. Each backlogged flow carries a
// virtual "pass"; the flow with the smallest pass is served next and then advances by cost/weight.
// A flow that (re)joins starts at the current virtual time, so idle flows cannot hoard credit.
// With k flows backlogged, flow i's count after any n picks stays within (k + 1) / 2 of
// n * w_i / sum(w) (property-tested in test/properties/fairness.property.test.ts).
import { IndexedHeap } from '../util/indexed-heap.js';

export interface StrideFlow {
  /** Deterministic tie-break when passes are equal (smaller wins). */
  tie: string;
  weight: number;
  pass: number;
  stridePos: number;
}

// Ordered by virtual finish time (pass + 1/weight), as in WFQ proper: a heavy flow does not
// wait behind light flows that merely share its start time, which keeps the lag within one task.
function strideLess(a: StrideFlow, b: StrideFlow): boolean {
  const fa = a.pass + 1 / a.weight;
  const fb = b.pass + 1 / b.weight;
  if (fa !== fb) return fa < fb;
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
