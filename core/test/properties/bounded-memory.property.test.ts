import fc from 'fast-check';
import { describe, it } from 'vitest';
import { harnessConfig, opsArb, run } from '../harness.js';

const RUNS = 1000;
const RETENTION = 5;

describe('ORCH-3004: bounded memory', () => {
  it('ORCH-3004: queue depth never exceeds capacity beyond requeued leases; retained terminal records stay within retention', () => {
    const config = { ...harnessConfig(), terminalRetention: RETENTION };
    fc.assert(
      fc.property(opsArb, (ops) => {
        // Replay prefixes (before quiescing) so the bound holds mid-run, not only at the end.
        for (let n = 1; n <= ops.length; n += 7) {
          const t = run(ops.slice(0, n), config, false);
          const snap = t.sched.snapshot();
          for (const q of snap.queueDepth) if (q.depth > q.capacity + t.requeues) return false;
          if (snap.retainedTerminal > RETENTION) return false;
          // Live tasks: at most the queues' capacity plus requeues plus leases (slots).
          if (snap.liveTasks > 2 * 3 + t.requeues + t.dispatches.length) return false;
          // Records beyond the retention window are really gone.
          const kept = t.accepted.filter((id) => t.sched.task(id)?.terminal !== undefined).length;
          if (kept > RETENTION || kept !== snap.retainedTerminal) return false;
        }
        return true;
      }),
      { numRuns: RUNS },
    );
  });
});
