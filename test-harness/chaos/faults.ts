// The faults the chaos suite injects under steady load, and the phase runner that measures each:
// tasks in flight at the fault, recovery (fault → every replica Ready and a fresh task served on
// each pool). Invariants are judged later over the ledgers (ledger.ts), once every task settled.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ChaosStack } from './chaos-stack.js';
import { CONTROL_LINK, SIM_MODEL, SIM_POOL, envoyLink } from './chaos-stack.js';
import { chaosTask, follow, newLedger, submitTask } from './client.js';
import type { ChaosLoad } from './load.js';
import { finalTerminals } from './ledger.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type FaultKind =
  | 'kill placement'
  | 'kill sidecar'
  | 'kill engine (sim)'
  | 'kill engine (llama-server)'
  | 'kill envoy'
  | 'stop engine (SIGSTOP)'
  | 'cut placement-sidecar'
  | 'delay placement-sidecar'
  | 'cut envoy-sidecar'
  | 'delay envoy-sidecar';

export interface FaultSpec {
  kind: FaultKind;
  /** How long a reversible fault (stop, cut, delay) lasts before it is undone. */
  holdMs: number;
  /** Added latency for the delay faults. */
  latencyMs?: number;
}

export interface PhaseResult {
  spec: FaultSpec;
  /** Load accepted tasks in [phaseStart, phaseEnd]; the fault struck at faultAt (run clock). */
  phaseStart: number;
  faultAt: number;
  phaseEnd: number;
  inFlight: Set<string>;
  recoveryMs: number;
  /** Why recovery failed (no Ready, probe task did not end), if it did. */
  recoveryError?: string;
}

function signal(pid: number | undefined, sig: NodeJS.Signals, what: string): void {
  if (pid === undefined) throw new Error(`${what}: no pid`);
  process.kill(pid, sig);
}

/** The real llama-server behind the stack's replica 0, found by its unique --port. */
async function llamaServerPid(cs: ChaosStack): Promise<number> {
  const port = cs.stack.ports.engines[0];
  const { stdout } = await run('pgrep', [
    '-f',
    `${cs.stack.toolchain.llamaServer.bin}.*--port ${port}( |$)`,
  ]);
  const pid = Number(stdout.trim().split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no llama-server on port ${port}`);
  return pid;
}

/** Waits (bounded) until the simulated engine at `url` has a busy slot. */
async function untilBusy(url: string, boundMs: number): Promise<void> {
  const until = performance.now() + boundMs;
  while (performance.now() < until) {
    try {
      const res = await fetch(`${url}/sim/state`, { signal: AbortSignal.timeout(1000) });
      const state = (await res.json()) as { busy?: number };
      if ((state.busy ?? 0) > 0) return;
    } catch {
      // not answering: strike anyway once the bound passes
    }
    await sleep(10);
  }
}

/** Injects the fault, holds it, and undoes or repairs it as an operator (or kubelet) would. */
async function inject(cs: ChaosStack, spec: FaultSpec): Promise<void> {
  const { stack, toxi } = cs;
  switch (spec.kind) {
    case 'kill placement':
      signal(stack.pid('placement'), 'SIGKILL', 'placement');
      await sleep(spec.holdMs);
      await stack.restartPlacement();
      return;
    case 'kill sidecar':
      signal(cs.simSidecarPid(1), 'SIGKILL', 'sim sidecar 1');
      await sleep(spec.holdMs);
      await cs.restartSimSidecar(1);
      return;
    case 'kill engine (sim)':
      // Strike while it decodes, so the kill has a stream to end (ORCH-2028's 1 s check).
      await untilBusy(cs.simEngineUrl(0), 3000);
      signal(cs.simEnginePid(0), 'SIGKILL', 'sim engine 0');
      await sleep(spec.holdMs);
      await cs.restartSimEngine(0);
      return;
    case 'kill engine (llama-server)':
      // The sidecar supervises it and restarts it with backoff (ORCH-3038).
      process.kill(await llamaServerPid(cs), 'SIGKILL');
      return;
    case 'kill envoy':
      signal(stack.pid('envoy'), 'SIGKILL', 'envoy');
      await sleep(spec.holdMs);
      await stack.restartEnvoy();
      return;
    case 'stop engine (SIGSTOP)':
      signal(cs.simEnginePid(2), 'SIGSTOP', 'sim engine 2');
      await sleep(spec.holdMs);
      signal(cs.simEnginePid(2), 'SIGCONT', 'sim engine 2');
      return;
    case 'cut placement-sidecar':
      await toxi.cut(CONTROL_LINK);
      await sleep(spec.holdMs);
      await toxi.restore(CONTROL_LINK);
      return;
    case 'delay placement-sidecar':
      await toxi.delay(CONTROL_LINK, spec.latencyMs ?? 300, 50);
      await sleep(spec.holdMs);
      await toxi.restore(CONTROL_LINK);
      return;
    case 'cut envoy-sidecar':
      await toxi.cut(envoyLink(0));
      await sleep(spec.holdMs);
      await toxi.restore(envoyLink(0));
      return;
    case 'delay envoy-sidecar':
      await toxi.delay(envoyLink(0), spec.latencyMs ?? 200, 50);
      await sleep(spec.holdMs);
      await toxi.restore(envoyLink(0));
      return;
  }
}

/** A fresh task on `modelRef` followed to its end; undefined when it ended well. */
async function probe(
  url: string,
  pool: string,
  modelRef: string,
  deadlineMs: number,
): Promise<string | undefined> {
  const started = performance.now();
  while (performance.now() - started < deadlineMs) {
    const body = chaosTask(modelRef, 4, 1);
    const sub = await submitTask(url, body);
    if (sub.status !== 202) {
      await sleep(200);
      continue;
    }
    const l = newLedger(body.task_id, pool, sub.at);
    await follow(url, l, { deadlineMs: deadlineMs - (performance.now() - started) });
    const fin = finalTerminals(l)[0];
    if (fin?.event === 'end') return undefined;
    return `probe task on ${pool} ended ${JSON.stringify(fin ?? l.lostReason)}`;
  }
  return `no probe task on ${pool} admitted in ${deadlineMs} ms`;
}

function touchedPools(kind: FaultKind): { sim: boolean; real: boolean } {
  if (kind === 'kill placement' || kind === 'kill envoy') return { sim: true, real: true };
  if (kind === 'kill engine (llama-server)') return { sim: false, real: true };
  return { sim: true, real: false };
}

interface PhaseOptions {
  /** Load before the fault, so it strikes with streams running and tasks queued. */
  warmMs: number;
  /** Bound on recovery (Ready + probes). */
  recoverMs: number;
}

/** One fault under the running load. */
export async function runPhase(
  cs: ChaosStack,
  load: ChaosLoad,
  spec: FaultSpec,
  o: PhaseOptions,
): Promise<PhaseResult> {
  const phaseStart = performance.now();
  await sleep(o.warmMs);
  const faultAt = performance.now();
  const inFlight = load.openAt(faultAt);
  let recoveryError: string | undefined;
  try {
    await inject(cs, spec);
    await cs.waitReady(cs.stack.poolId, 1, o.recoverMs);
    await cs.waitReady(SIM_POOL, cs.simReplicas, o.recoverMs);
    const left = Math.max(1000, o.recoverMs - (performance.now() - faultAt));
    // A fresh task served on each pool the fault touched (both, when the fault hit the shared
    // placement or edge): the real pool's queue is long, so it is probed only when it was hit.
    const pools = touchedPools(spec.kind);
    const probes = await Promise.all([
      pools.sim ? probe(cs.stack.url, SIM_POOL, SIM_MODEL, left) : undefined,
      pools.real ? probe(cs.stack.url, cs.stack.poolId, cs.stack.model.ref, left) : undefined,
    ]);
    recoveryError = probes.filter((p) => p !== undefined).join('; ') || undefined;
  } catch (e) {
    recoveryError = e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
  const recoveredAt = performance.now();
  return {
    spec,
    phaseStart,
    faultAt,
    phaseEnd: recoveredAt,
    inFlight,
    recoveryMs: recoveryError ? Number.NaN : recoveredAt - faultAt,
    ...(recoveryError ? { recoveryError } : {}),
  };
}
