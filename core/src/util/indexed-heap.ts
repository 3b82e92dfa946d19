// Binary min-heap that records each item's position (through accessors) so that remove and
// update are O(log n). An item may sit in several heaps as long as each uses its own position slot.
interface HeapSlot<T> {
  get(item: T): number;
  set(item: T, pos: number): void;
}

export class IndexedHeap<T> {
  private readonly items: T[] = [];

  constructor(
    private readonly less: (a: T, b: T) => boolean,
    private readonly slot: HeapSlot<T>,
  ) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Raw array order; index 0 is the minimum, children of i are 2i+1 and 2i+2. */
  at(index: number): T | undefined {
    return this.items[index];
  }

  has(item: T): boolean {
    const pos = this.slot.get(item);
    return pos >= 0 && this.items[pos] === item;
  }

  push(item: T): void {
    this.items.push(item);
    const pos = this.items.length - 1;
    this.slot.set(item, pos);
    this.up(pos);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  remove(item: T): boolean {
    if (!this.has(item)) return false;
    this.removeAt(this.slot.get(item));
    return true;
  }

  /** Restore order after the item's key changed. */
  update(item: T): void {
    if (!this.has(item)) return;
    const pos = this.slot.get(item);
    this.up(pos);
    this.down(this.slot.get(item));
  }

  private removeAt(pos: number): void {
    const item = this.items[pos] as T;
    const last = this.items.pop() as T;
    this.slot.set(item, -1);
    if (pos < this.items.length) {
      this.items[pos] = last;
      this.slot.set(last, pos);
      this.up(pos);
      this.down(this.slot.get(last));
    }
  }

  private up(start: number): void {
    let pos = start;
    const item = this.items[pos] as T;
    while (pos > 0) {
      const parentPos = (pos - 1) >> 1;
      const parent = this.items[parentPos] as T;
      if (!this.less(item, parent)) break;
      this.items[pos] = parent;
      this.slot.set(parent, pos);
      pos = parentPos;
    }
    this.items[pos] = item;
    this.slot.set(item, pos);
  }

  private down(start: number): void {
    let pos = start;
    const n = this.items.length;
    const item = this.items[pos] as T;
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.less(this.items[right] as T, this.items[left] as T)) child = right;
      const childItem = this.items[child] as T;
      if (!this.less(childItem, item)) break;
      this.items[pos] = childItem;
      this.slot.set(childItem, pos);
      pos = child;
    }
    this.items[pos] = item;
    this.slot.set(item, pos);
  }
}

/**
 * The k smallest items in order, without mutating the heap: best-first walk over heap indices,
 * O(k log k) with a tiny frontier.
 */
export function smallestK<T>(heap: IndexedHeap<T>, k: number, less: (a: T, b: T) => boolean): T[] {
  const out: T[] = [];
  if (heap.size === 0 || k <= 0) return out;
  const frontier: number[] = [0];
  while (out.length < k && frontier.length > 0) {
    let best = 0;
    for (let i = 1; i < frontier.length; i++) {
      if (less(heap.at(frontier[i] as number) as T, heap.at(frontier[best] as number) as T)) {
        best = i;
      }
    }
    const idx = frontier[best] as number;
    frontier[best] = frontier[frontier.length - 1] as number;
    frontier.pop();
    out.push(heap.at(idx) as T);
    const left = 2 * idx + 1;
    if (left < heap.size) frontier.push(left);
    if (left + 1 < heap.size) frontier.push(left + 1);
  }
  return out;
}
