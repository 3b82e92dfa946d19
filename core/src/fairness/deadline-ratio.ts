// ORCH-3081: deadlines_met_ratio{priority}. Only tasks that carried a deadline count; a task that
// ends in any way after its deadline (or expires waiting) counts as missed. Canceled tasks do not
// count: the client withdrew the request.
import type { Priority } from '../types.js';

export class DeadlineRatio {
  private readonly met = new Map<Priority, number>();
  private readonly total = new Map<Priority, number>();

  record(priority: Priority, wasMet: boolean): void {
    this.total.set(priority, (this.total.get(priority) ?? 0) + 1);
    if (wasMet) this.met.set(priority, (this.met.get(priority) ?? 0) + 1);
  }

  read(priority: Priority): { ratio: number; met: number; total: number } {
    const total = this.total.get(priority) ?? 0;
    const met = this.met.get(priority) ?? 0;
    // With no deadline-carrying task yet, nothing was missed.
    return { ratio: total === 0 ? 1 : met / total, met, total };
  }
}
