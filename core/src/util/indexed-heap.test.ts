import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexedHeap, smallestK } from './indexed-heap.js';

interface Item {
  v: number;
  pos: number;
}

const less = (a: Item, b: Item): boolean => a.v < b.v;
const heap = (): IndexedHeap<Item> =>
  new IndexedHeap<Item>(less, {
    get: (i) => i.pos,
    set: (i, p) => {
      i.pos = p;
    },
  });

describe('ORCH-3008: indexed heap behind the ready-replica and flow indexes', () => {
  it('ORCH-3008: pops in order under random pushes, removes and key updates', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 0, max: 50 }))), (ops) => {
        const h = heap();
        const live: Item[] = [];
        for (const [op, v] of ops) {
          if (op <= 1 || live.length === 0) {
            const it: Item = { v, pos: -1 };
            h.push(it);
            live.push(it);
          } else if (op === 2) {
            const it = live.splice(v % live.length, 1)[0] as Item;
            if (!h.remove(it) || h.has(it)) return false;
          } else {
            const it = live[v % live.length] as Item;
            it.v = (it.v * 7 + v) % 51;
            h.update(it);
          }
        }
        const k = smallestK(h, 5, less).map((i) => i.v);
        const sorted = live.map((i) => i.v).sort((a, b) => a - b);
        if (JSON.stringify(k) !== JSON.stringify(sorted.slice(0, 5))) return false;
        const out: number[] = [];
        for (let it = h.pop(); it; it = h.pop()) out.push(it.v);
        return JSON.stringify(out) === JSON.stringify(sorted);
      }),
      { numRuns: 1000 },
    );
  });

  it('ORCH-3008: smallestK does not mutate the heap', () => {
    const h = heap();
    for (const v of [5, 1, 4, 2, 3]) h.push({ v, pos: -1 });
    expect(smallestK(h, 3, less).map((i) => i.v)).toEqual([1, 2, 3]);
    expect(h.size).toBe(5);
    expect(h.peek()?.v).toBe(1);
  });
});
