// Intrusive doubly linked list in admission order: O(1) append, O(1) unlink, oldest at the head.
// It backs drop-lru (drop the head), queue-wait expiry (scan from the head) and queue depth.
export interface ArrivalNode<T> {
  prev: T | null;
  next: T | null;
  seq: number;
}

export class ArrivalList<T extends ArrivalNode<T>> {
  head: T | null = null;
  tail: T | null = null;
  size = 0;

  append(node: T): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.size++;
  }

  /** Re-insert by admission sequence (a requeued task keeps its place); walks from the head. */
  insertBySeq(node: T): void {
    let cursor = this.head;
    while (cursor && cursor.seq < node.seq) cursor = cursor.next;
    if (!cursor) {
      this.append(node);
      return;
    }
    node.next = cursor;
    node.prev = cursor.prev;
    if (cursor.prev) cursor.prev.next = node;
    else this.head = node;
    cursor.prev = node;
    this.size++;
  }

  /** A member has a predecessor or is the head (issue 19: no membership flag per task). */
  has(node: T): boolean {
    return node.prev !== null || this.head === node;
  }

  unlink(node: T): void {
    if (!this.has(node)) return;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = null;
    node.next = null;
    this.size--;
  }
}
