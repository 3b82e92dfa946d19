// ORCH-3051 chaos suite: under steady load (>= 32 concurrent streams over the real llama-server
// pool and a pool of engine-sim replicas, all through Envoy), kill -9 placement, a sidecar, an
// engine and Envoy, SIGSTOP an engine, and cut or slow the placement ↔ sidecar and Envoy ↔ sidecar
// links with toxiproxy. Over every accepted task: exactly one final terminal, no token index lost
// or repeated (resumed streams included), tasks queued at a placement kill served after the
// restart (ORCH-4030), a killed engine's streams ended by a typed error within 1 s (ORCH-2028),
// and the pool Ready and serving again. Prints the table and writes it to .artifacts/chaos/.
//
// `npm test` runs the short variant (five faults, ~1 min on 2 cores); CHAOS_LONG=1 runs every
// fault with longer holds and twice the load (`npm run test:chaos:long`, the nightly job).
import { appendFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/stack/index.js';
import { SIM_MODEL, SIM_POOL, startChaosStack } from './chaos-stack.js';
import type { ChaosStack } from './chaos-stack.js';
import { runPhase } from './faults.js';
import type { FaultSpec, PhaseResult } from './faults.js';
import { faultRow, finalTerminals, renderTable } from './ledger.js';
import type { FaultRow, TaskLedger } from './ledger.js';
import { ChaosLoad } from './load.js';

const LONG = process.env.CHAOS_LONG === '1';
const VARIANT = LONG ? 'long' : 'short';

const SHORT_FAULTS: FaultSpec[] = [
  { kind: 'kill engine (sim)', holdMs: 300 },
  { kind: 'cut envoy-sidecar', holdMs: 800 },
  { kind: 'kill sidecar', holdMs: 300 },
  { kind: 'kill envoy', holdMs: 300 },
  { kind: 'kill placement', holdMs: 300 },
];
const LONG_FAULTS: FaultSpec[] = [
  { kind: 'kill engine (sim)', holdMs: 1000 },
  { kind: 'kill engine (llama-server)', holdMs: 0 },
  { kind: 'stop engine (SIGSTOP)', holdMs: 3000 },
  { kind: 'cut placement-sidecar', holdMs: 3000 },
  { kind: 'delay placement-sidecar', holdMs: 4000, latencyMs: 400 },
  { kind: 'cut envoy-sidecar', holdMs: 2000 },
  { kind: 'delay envoy-sidecar', holdMs: 4000, latencyMs: 300 },
  { kind: 'kill sidecar', holdMs: 1000 },
  { kind: 'kill envoy', holdMs: 1000 },
  { kind: 'kill placement', holdMs: 2000 },
];
/** CHAOS_ONLY=<text>: only the faults whose name contains it (to chase one; named in the title). */
const ONLY = process.env.CHAOS_ONLY ?? '';
const FAULTS = (LONG ? LONG_FAULTS : SHORT_FAULTS).filter((f) => f.kind.includes(ONLY));

const DIAG = process.env.CHAOS_DIAG ?? '';

/** A killed engine's streams must end with a typed error this soon (ORCH-2028). */
const DEAD_ENGINE_ERROR_MS = 1_000;

function log(msg: string): void {
  process.stdout.write(`[chaos ${VARIANT}] ${msg}\n`);
}

/** Tasks of the phase accepted before the fault and not yet started when it struck. */
function queuedAtFault(phase: readonly TaskLedger[], faultAt: number): TaskLedger[] {
  return phase.filter((l) => {
    if (l.acceptedAt > faultAt) return false;
    const fin = finalTerminals(l)[0];
    if (fin && fin.at <= faultAt) return false;
    return l.startedAt === undefined || l.startedAt > faultAt;
  });
}

describe(`ORCH-3051: chaos under steady load (${VARIANT} variant: ${FAULTS.length} faults${ONLY ? `, only "${ONLY}"` : ''})`, () => {
  let cs: ChaosStack;
  let load: ChaosLoad;
  const phases: PhaseResult[] = [];

  beforeAll(async () => {
    // One slot per replica: a sidecar serves one lease at a time (it refuses a second: slot taken).
    cs = await startChaosStack({
      simReplicas: 3,
      simSlots: 1,
      itlMs: 15,
      log,
      // CHAOS_DIAG=<file>: every child's log (placement at info, Envoy's access log) goes there.
      ...(DIAG
        ? {
            write: (s: string) => appendFileSync(DIAG, s),
            logLevel: 'info',
            envoyAccessLog: true,
          }
        : {}),
    });
    load = new ChaosLoad(
      cs.stack.url,
      [
        // More workers than slots (3): some streams run, the rest wait queued in placement.
        { pool: SIM_POOL, modelRef: SIM_MODEL, workers: LONG ? 60 : 30, maxTokens: 12 },
        // The real llama-server (one slot, CPU) is slow on a loaded machine: two workers keep its
        // queue short enough for every task to end within the follow deadline.
        {
          pool: cs.stack.poolId,
          modelRef: cs.stack.model.ref,
          workers: LONG ? 4 : 2,
          maxTokens: 8,
        },
      ],
      // Long enough to outlive a placement restart (boot, journal replay, sidecars re-register)
      // and the real pool's queue on 2 shared cores.
      60_000,
    );
    expect(load.workers).toBeGreaterThanOrEqual(32);
  }, 240_000);

  afterAll(async () => {
    await load?.stop();
    await cs?.close();
  }, 120_000);

  for (const spec of FAULTS) {
    it(`${spec.kind}: the stack recovers (every replica Ready, a fresh task served)`, async () => {
      const p = await runPhase(cs, load, spec, { warmMs: 1000, recoverMs: 60_000 });
      phases.push(p);
      log(
        `${spec.kind}: ${p.inFlight.size} in flight, recovered in ${Math.round(p.recoveryMs)} ms` +
          (p.recoveryError ? ` — ${p.recoveryError}` : ''),
      );
      expect(p.recoveryError, cs.tail('placement').slice(-5).join('\n')).toBeUndefined();
    }, 120_000);
  }

  it('every accepted task: one final terminal, no token lost or repeated; the table', async () => {
    await load.stop();
    expect(phases).toHaveLength(FAULTS.length);
    const rows: FaultRow[] = phases.map((p) =>
      faultRow(
        p.spec.kind,
        load.acceptedBetween(p.phaseStart, p.phaseEnd),
        p.inFlight,
        p.faultAt,
        p.recoveryMs,
      ),
    );
    const table = renderTable(rows);
    log(`${load.ledgers.length} tasks accepted over ${phases.length} faults\n${table}`);
    const checks = phaseChecks(phases, load);
    const dir = join(REPO_ROOT, '.artifacts', 'chaos');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `chaos-${VARIANT}.md`), `${table}\n`);
    await writeFile(
      join(dir, `chaos-${VARIANT}.json`),
      JSON.stringify(
        {
          variant: VARIANT,
          workers: load.workers,
          accepted: load.ledgers.length,
          refused: Object.fromEntries(load.refused),
          admission5xx: load.admission5xx.slice(0, 20),
          rows,
          checks,
        },
        null,
        2,
      ),
    );
    expect(load.ledgers.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.violations, r.fault).toEqual([]);
    expect(checks.problems).toEqual([]);
    // A 5xx at admission during a fault must be typed and retriable (e.g. 503 POOL_UNAVAILABLE
    // while sidecars re-register after a placement restart), never a crash.
    for (const body of load.admission5xx) {
      const envelope = JSON.parse(body.slice(body.indexOf(' ') + 1)) as { retriable?: unknown };
      expect(envelope.retriable, body).toBe(true);
    }
  }, 120_000);
});

interface PhaseChecks {
  /** kill engine phases: fault → the WORKER_RESET of each stream that was running, max ms. */
  deadEngineErrors: Record<string, { count: number; maxMs: number; streaming: string[] }>;
  /** kill placement: tasks queued at the kill, and how many of them were served after it. */
  queuedAtPlacementKill: { queued: number; served: number };
  problems: string[];
}

function phaseChecks(phases: readonly PhaseResult[], load: ChaosLoad): PhaseChecks {
  const out: PhaseChecks = {
    deadEngineErrors: {},
    queuedAtPlacementKill: { queued: 0, served: 0 },
    problems: [],
  };
  for (const p of phases) {
    const phase = load.acceptedBetween(p.phaseStart, p.phaseEnd);
    if (p.spec.kind.startsWith('kill engine')) {
      // The streams the engine was serving when it died: started before the kill, still open.
      const streaming = phase.filter(
        (l) => p.inFlight.has(l.taskId) && l.startedAt !== undefined && l.startedAt <= p.faultAt,
      );
      const resets = streaming
        .map((l) => finalTerminals(l)[0])
        .filter((t) => t?.event === 'error' && t.code === 'WORKER_RESET' && t.at >= p.faultAt);
      const maxMs = Math.round(Math.max(0, ...resets.map((t) => (t?.at ?? 0) - p.faultAt)));
      out.deadEngineErrors[p.spec.kind] = {
        count: resets.length,
        maxMs,
        streaming: streaming.map((l) => {
          const fin = finalTerminals(l)[0];
          const what = fin ? `${fin.event} ${fin.code ?? fin.reason ?? ''}` : 'none';
          const at = fin ? ` +${Math.round(fin.at - p.faultAt)} ms` : '';
          return `${l.taskId}: ${what}${at}, ${l.tokens.size} tokens`;
        }),
      };
      if (p.spec.kind === 'kill engine (sim)' && resets.length === 0) {
        // The killed sim's short streams may all have ended before the kill landed, and the ledger
        // cannot tell which replica served a task: then this run did not exercise the 1 s bound.
        // Said in the output, not failed on (the real-llama E2E and the long variant exercise it).
        log(
          'kill engine (sim): no stream was running on the killed engine at the kill; the 1 s ' +
            'WORKER_RESET bound was not exercised in this run',
        );
      }
      if (maxMs > DEAD_ENGINE_ERROR_MS) {
        out.problems.push(
          `${p.spec.kind}: a stream's WORKER_RESET came ${maxMs} ms after the kill`,
        );
      }
    }
    if (p.spec.kind === 'kill placement') {
      const queued = queuedAtFault(phase, p.faultAt);
      const served = queued.filter((l) => finalTerminals(l)[0]?.event === 'end');
      out.queuedAtPlacementKill = { queued: queued.length, served: served.length };
      if (queued.length === 0) out.problems.push('kill placement: no task was queued at the kill');
      for (const l of queued.filter((q) => !served.includes(q))) {
        out.problems.push(
          `kill placement: task ${l.taskId} queued at the kill was not served after the restart ` +
            `(ORCH-4030): ${JSON.stringify(finalTerminals(l)[0] ?? l.lostReason)}`,
        );
      }
    }
  }
  return out;
}
