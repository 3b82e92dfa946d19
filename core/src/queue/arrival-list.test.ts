import { describe, expect, it } from 'vitest';
import { ArrivalList } from './arrival-list.js';
import type { ArrivalNode } from './arrival-list.js';
import { decideFull } from './full-policy.js';

interface N extends ArrivalNode<N> {
  id: string;
}
const node = (id: string, seq: number): N => ({ id, seq, prev: null, next: null });
const ids = (l: ArrivalList<N>): string[] => {
  const out: string[] = [];
  for (let n = l.head; n; n = n.next) out.push(n.id);
  return out;
};

describe('ORCH-3004: arrival list (admission order, O(1) enqueue and unlink)', () => {
  it('ORCH-3004: appends at the tail, unlinks anywhere, reinserts by sequence', () => {
    const l = new ArrivalList<N>();
    const [a, b, c] = [node('a', 0), node('b', 1), node('c', 2)];
    l.append(a);
    l.append(b);
    l.append(c);
    expect(ids(l)).toEqual(['a', 'b', 'c']);
    l.unlink(b);
    l.unlink(b); // idempotent
    expect([ids(l), l.size]).toEqual([['a', 'c'], 2]);
    l.insertBySeq(b);
    expect(ids(l)).toEqual(['a', 'b', 'c']);
    l.unlink(a);
    l.unlink(c);
    expect([l.head?.id, l.tail?.id, l.size]).toEqual(['b', 'b', 1]);
  });
});

describe('ORCH-3005: full-queue decision', () => {
  it('ORCH-3005: enqueue below capacity, reject or drop-oldest at capacity, reject when nothing to drop', () => {
    expect(decideFull(1, 2, 'reject')).toBe('enqueue');
    expect(decideFull(2, 2, 'reject')).toBe('reject');
    expect(decideFull(2, 2, 'drop-lru')).toBe('drop-oldest');
    expect(decideFull(0, 0, 'drop-lru')).toBe('reject');
  });
});
