// ORCH-3004/3080: order inside one flow (pool, priority, tenant). Earliest absolute deadline first;
// tasks without a deadline (Infinity) come after, and equal deadlines keep admission order, so a
// flow without deadlines is plain FIFO.
interface EdfFifoKey {
  absDeadline: number;
  seq: number;
}

export function edfFifoLess(a: EdfFifoKey, b: EdfFifoKey): boolean {
  if (a.absDeadline !== b.absDeadline) return a.absDeadline < b.absDeadline;
  return a.seq < b.seq;
}
