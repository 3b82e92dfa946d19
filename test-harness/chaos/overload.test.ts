// ORCH-3051 / ORCH-2007 overload: interactive tasks offered at 10× what a pool of engine-sim
// replicas serves, open loop, through Envoy. Admission sheds the excess with 429 + Retry-After +
// X-Backoff-Ms and nothing else (no 5xx anywhere, no other status); every admitted task streams
// to its `end`; admitted tasks keep the seed's TTFT SLO (p95 <= 900 ms, submit → first token, as
// the client sees it); placement's resident memory stays bounded. The interactive queue is sized
// to the SLO (capacity × service time / slots well under it), as an operator would size it.
// Short in `npm test` (6 s of arrivals); CHAOS_LONG=1 offers it for 30 s.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentile } from '../bench/stats.js';
import { startSimStack } from '../engine-sim/sim-stack.js';
import type { SimStack } from '../engine-sim/sim-stack.js';
import { chaosTask, follow, newLedger, submitTask } from './client.js';
import { finalTerminals } from './ledger.js';
import type { TaskLedger } from './ledger.js';

const run = promisify(execFile);
const LONG = process.env.CHAOS_LONG === '1';
const ARRIVAL_SECONDS = LONG ? 30 : 6;
const REPLICAS = 2;
const MAX_TOKENS = 16;
const ITL_MS = 20;
/** The seed's interactive TTFT SLO. */
const TTFT_SLO_MS = 900;
/** Placement may grow this much over the run (queues are bounded; nothing may pile up). */
const RSS_GROWTH_LIMIT_MB = 150;

async function placementRssMb(stack: SimStack): Promise<number> {
  const { stdout } = await run('pgrep', ['-f', `main.*--config ${stack.configPath}`]);
  const pid = stdout.trim().split('\n')[0];
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS for placement pid ${pid}`);
  return kb / 1024;
}

describe(`ORCH-3051/ORCH-2007: interactive overload at 10× capacity on engine-sim (${ARRIVAL_SECONDS} s)`, () => {
  let stack: SimStack;

  beforeAll(async () => {
    stack = await startSimStack({
      replicas: REPLICAS,
      sim: { itlMs: ITL_MS, jitter: 0 },
      journal: true,
      tweak: (c) => {
        // One slot per replica; a queue of 2 holds ~0.35 s of work (2 tasks × ~0.35 s / 2 slots),
        // leaving the rest of the SLO to the lease handshake and the loaded machine.
        const pool = c.pools[0];
        if (!pool) throw new Error('sim stack config has no pool');
        pool.slots = 1;
        pool.queue.interactive = { capacity: 2, full_policy: 'reject' };
      },
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it('only 429 with Retry-After and X-Backoff-Ms, no 5xx; admitted TTFT p95 within the SLO; RSS bounded', async () => {
    const rssBefore = await placementRssMb(stack);
    // Capacity: REPLICAS slots, each busy ~(prefill + MAX_TOKENS × ITL) per task.
    const serviceMs = 20 + MAX_TOKENS * ITL_MS;
    const capacityPerS = (REPLICAS * 1000) / serviceMs;
    const offeredPerS = 10 * capacityPerS;
    const gapMs = 1000 / offeredPerS;
    const statuses = new Map<number, number>();
    const badRefusals: string[] = [];
    const admitted: { ledger: TaskLedger; submittedAt: number }[] = [];
    const follows: Promise<void>[] = [];
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < ARRIVAL_SECONDS * 1000) {
      n += 1;
      const body = chaosTask(stack.modelRef, MAX_TOKENS, n);
      const submittedAt = performance.now();
      follows.push(
        submitTask(stack.url, body).then(async (sub) => {
          statuses.set(sub.status, (statuses.get(sub.status) ?? 0) + 1);
          if (sub.status === 202) {
            const ledger = newLedger(body.task_id, 'default', sub.at);
            admitted.push({ ledger, submittedAt });
            await follow(stack.url, ledger, { deadlineMs: 30_000 });
            return;
          }
          const retryAfter = sub.headers.get('retry-after');
          const backoff = sub.headers.get('x-backoff-ms');
          if (
            sub.status !== 429 ||
            !retryAfter ||
            !backoff ||
            !/"code":"ADMISSION_REJECT"/.test(sub.body)
          ) {
            badRefusals.push(
              `${sub.status} retry-after=${retryAfter} x-backoff-ms=${backoff} ${sub.body.slice(0, 160)}`,
            );
          }
        }),
      );
      // Open loop: the next arrival does not wait for this one.
      const next = t0 + n * gapMs;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    await Promise.all(follows);
    const rssAfter = await placementRssMb(stack);

    const ttft = admitted
      .map((a) => (a.ledger.firstTokenAt ?? Number.NaN) - a.submittedAt)
      .filter(Number.isFinite);
    const p95 = percentile(ttft, 95);
    const notEnded = admitted.filter((a) => finalTerminals(a.ledger)[0]?.event !== 'end');
    const stream5xx = admitted.flatMap((a) => a.ledger.streamStatuses.filter((s) => s >= 500));
    process.stdout.write(
      `[overload] offered ${n} tasks in ${ARRIVAL_SECONDS} s (${offeredPerS.toFixed(1)}/s, 10× ` +
        `${capacityPerS.toFixed(1)}/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `admitted TTFT p50 ${Math.round(percentile(ttft, 50))} ms, p95 ${Math.round(p95)} ms; ` +
        `placement RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB\n`,
    );

    expect(statuses.get(202) ?? 0, 'some tasks admitted').toBeGreaterThan(0);
    expect(statuses.get(429) ?? 0, 'the excess shed with 429').toBeGreaterThan(n / 2);
    expect(badRefusals).toEqual([]);
    expect(stream5xx).toEqual([]);
    expect(
      notEnded.map((a) => JSON.stringify(finalTerminals(a.ledger)[0] ?? a.ledger.lostReason)),
    ).toEqual([]);
    expect(ttft).toHaveLength(admitted.length);
    expect(p95).toBeLessThanOrEqual(TTFT_SLO_MS);
    expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  }, 120_000);
});
