// ORCH-4023: queued tasks waiting for a client to attach, oldest attach deadline first. Every
// deadline is now + attachTimeoutMs when a task joins and the clock never goes back, so appending
// keeps deadline order. Issue 19: an intrusive list (two fields on the task) instead of a Map entry
// per queued task.
export interface UnattachedNode<T> {
  waitPrev: T | null;
  waitNext: T | null;
}

export class UnattachedList<T extends UnattachedNode<T>> {
  head: T | null = null;
  private tail: T | null = null;

  has(node: T): boolean {
    return node.waitPrev !== null || this.head === node;
  }

  /** Append (a member moves to the end, as a Map's delete + set did). */
  push(node: T): void {
    this.delete(node);
    node.waitPrev = this.tail;
    node.waitNext = null;
    if (this.tail) this.tail.waitNext = node;
    else this.head = node;
    this.tail = node;
  }

  delete(node: T): boolean {
    if (!this.has(node)) return false;
    if (node.waitPrev) node.waitPrev.waitNext = node.waitNext;
    else this.head = node.waitNext;
    if (node.waitNext) node.waitNext.waitPrev = node.waitPrev;
    else this.tail = node.waitPrev;
    node.waitPrev = null;
    node.waitNext = null;
    return true;
  }
}
