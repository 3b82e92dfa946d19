// Which replica really served a task, from the sidecars' own structured logs (ORCH-3027/4015):
// each sidecar writes one `lease finished` JSON line per lease, with its replica_id and the
// task_id. The suite checks this against the pin instead of trusting placement blindly.

interface LeaseFinishedLine {
  replicaId: string;
  taskId: string;
  reason: string;
  tokensOut: number;
}

export class ServedByLog {
  private readonly byTask = new Map<string, LeaseFinishedLine[]>();
  private pending = '';

  /** Feed the stack's combined child output (`[name] line\n` chunks). */
  write = (chunk: string): void => {
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop() ?? '';
    for (const line of parts) this.line(line);
  };

  private line(line: string): void {
    const brace = line.indexOf('{');
    if (brace < 0 || !line.includes('lease finished')) return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line.slice(brace)) as Record<string, unknown>;
    } catch {
      return;
    }
    if (rec.msg !== 'lease finished' || typeof rec.task_id !== 'string') return;
    const entry: LeaseFinishedLine = {
      replicaId: String(rec.replica_id),
      taskId: rec.task_id,
      reason: String(rec.reason),
      tokensOut: Number(rec.tokens_out),
    };
    const list = this.byTask.get(entry.taskId) ?? [];
    list.push(entry);
    this.byTask.set(entry.taskId, list);
  }

  /** Every lease-finished record for a task (normally exactly one). */
  served(taskId: string): LeaseFinishedLine[] {
    return this.byTask.get(taskId) ?? [];
  }

  /** Waits (bounded) for a task's record: the log line may trail the stream's last byte. */
  async waitFor(taskId: string, timeoutMs = 5_000): Promise<LeaseFinishedLine[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.served(taskId).length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.served(taskId);
  }
}
