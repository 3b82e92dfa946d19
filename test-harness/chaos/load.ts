// Steady load for the chaos suite: `workers` clients, each submitting one task after another and
// following it to its final terminal (client.ts), spread over the stack's pools. Every accepted
// task has a ledger; admissions that were not 202 are counted by status (0 = no connection).
import { chaosTask, follow, newLedger, submitTask } from './client.js';
import type { TaskLedger } from './ledger.js';

interface LoadLane {
  pool: string;
  modelRef: string;
  workers: number;
  maxTokens: number;
}

export class ChaosLoad {
  readonly ledgers: TaskLedger[] = [];
  /** Admission status → count, for every submit that was not 202. */
  readonly refused = new Map<number, number>();
  /** Bodies of 5xx admissions (a finding: admission must never answer 5xx). */
  readonly admission5xx: string[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private seed = 0;

  constructor(
    private readonly url: string,
    lanes: readonly LoadLane[],
    private readonly deadlineMs: number,
  ) {
    for (const lane of lanes) {
      for (let w = 0; w < lane.workers; w++) this.loops.push(this.loop(lane));
    }
  }

  get workers(): number {
    return this.loops.length;
  }

  /** Tasks accepted at or before `at` whose final terminal had not come by then. */
  openAt(at: number): Set<string> {
    const out = new Set<string>();
    for (const l of this.ledgers) {
      if (l.acceptedAt > at) continue;
      const end = l.terminals.find((t) => t.final)?.at;
      if ((end === undefined && l.lostReason === undefined) || (end !== undefined && end > at)) {
        out.add(l.taskId);
      }
    }
    return out;
  }

  /** Tasks accepted in [from, to]. */
  acceptedBetween(from: number, to: number): TaskLedger[] {
    return this.ledgers.filter((l) => l.acceptedAt >= from && l.acceptedAt <= to);
  }

  /** Stops submitting; waits for every followed task to settle (each is bounded). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async loop(lane: LoadLane): Promise<void> {
    while (!this.stopped) {
      this.seed += 1;
      const body = chaosTask(lane.modelRef, lane.maxTokens, this.seed);
      const sub = await submitTask(this.url, body);
      if (sub.status !== 202) {
        this.refused.set(sub.status, (this.refused.get(sub.status) ?? 0) + 1);
        if (sub.status >= 500) this.admission5xx.push(`${sub.status} ${sub.body.slice(0, 600)}`);
        // Envoy or placement down, or backpressure: the hint, bounded, else a short pause.
        const hint = Number(sub.headers.get('x-backoff-ms') ?? 200);
        await new Promise((r) => setTimeout(r, Math.min(Math.max(hint, 50), 1000)));
        continue;
      }
      const ledger = newLedger(body.task_id, lane.pool, sub.at);
      this.ledgers.push(ledger);
      await follow(this.url, ledger, { deadlineMs: this.deadlineMs });
    }
  }
}
