// ORCH-3004/3080: order inside one flow (pool, priority, tenant). Earliest absolute deadline first;
// tasks without a deadline (Infinity) come after, and equal deadlines keep admission order, so a
// flow without deadlines is plain FIFO.
interface EdfFifoKey {
  /** Undefined: no deadline (sorts as Infinity). */
  deadline: { readonly abs: number } | undefined;
  seq: number;
}

export function edfFifoLess(a: EdfFifoKey, b: EdfFifoKey): boolean {
  const x = a.deadline?.abs ?? Infinity;
  const y = b.deadline?.abs ?? Infinity;
  if (x !== y) return x < y;
  return a.seq < b.seq;
}
