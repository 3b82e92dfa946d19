// Startup self-tests (ORCH-3049, ORCH-3002): before a replica may report Ready its engine must
// have loaded the model (preload), decode a few tokens (decode, the ORCH-4017 canary), stop a
// running request on abort (cancel) and show readable, moving telemetry (telemetry). Each check
// names its step, so a failure becomes `self-test <step>: <detail>` rather than a crash.
// A failure of the transport (a probe that timed out, a connection reset) says nothing about the
// model: on a host busy starting many replicas at once an engine can simply answer late. Those
// are marked `transient`, and the engine slot retries the bring-up instead of staying Unready.
import type { EngineAdapter, EngineIdentity, LaunchFacts } from '../adapters/types.js';
import { identityHash, runCancelSelfTest, runCanary } from './canary.js';

/** `launch` covers starting (or reaching) the engine; the rest are the ORCH-3049 checks. */
export type SelfTestStep = 'launch' | 'preload' | 'decode' | 'cancel' | 'telemetry';

export interface SelfTestFailure {
  step: SelfTestStep;
  detail: string;
  /** The transport failed (timeout, reset), not the engine's answer: worth another bring-up. */
  transient?: boolean;
}

// Node's codes for an aborted or timed-out request and for a connection the engine dropped or
// refused (node:http and undici spell them differently).
const TRANSIENT_CODES = new Set([
  'ABORT_ERR',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** True when `err` (or the error it wraps, as fetch does) is a transport failure. */
export function isTransient(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  }
  return false;
}

/** Thrown inside bring-up to carry the failing step out to one place that records it. */
export class SelfTestError extends Error {
  override readonly name = 'SelfTestError';
  constructor(
    readonly step: SelfTestStep,
    readonly detail: string,
    readonly transient = false,
  ) {
    super(`self-test ${step}: ${detail}`);
  }
}

/** One line for a reason: the message's first line, plus the last line of any output it quotes
 * (an engine's own last words, e.g. why it could not load the model). */
export function errText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const lines = err.message.split('\n').filter((l) => l.trim().length > 0);
  const first = lines[0] ?? err.message;
  const last = lines.length > 1 ? lines.at(-1) : undefined;
  return last ? `${first} ${last.trim()}` : first;
}

/** Runs `fn`, turning any failure into a SelfTestError for `step`. */
export async function step<T>(name: SelfTestStep, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SelfTestError) throw err;
    throw new SelfTestError(name, errText(err), isTransient(err));
  }
}

interface SelfTestResult {
  identity: EngineIdentity;
  canary: { hash: string; ms: number };
}

/**
 * preload → decode → cancel → telemetry on an engine that already answers its health probe.
 * `decodeChecks` false skips the generating checks (decode, cancel, telemetry movement), for
 * tests that disable the canary; telemetry must still be readable.
 */
export async function runSelfTests(
  adapter: EngineAdapter,
  launch: LaunchFacts | undefined,
  decodeChecks: boolean,
  cancelDeadlineMs?: number,
): Promise<SelfTestResult> {
  const identity = await step('preload', async () => {
    const id = await adapter.identify();
    if (id.ctxMax <= 0) throw new Error('engine reports no context (model not loaded)');
    return id;
  });
  const before = await step('telemetry', () => readProgress(adapter));
  if (!decodeChecks) return { identity, canary: { hash: '', ms: 0 } };
  const canary = await step('decode', async () => {
    const r = await runCanary(adapter);
    return { hash: identityHash(r.hash, launch), ms: r.ms };
  });
  await step('cancel', async () => {
    const problem = await runCancelSelfTest(adapter, cancelDeadlineMs);
    if (problem) throw new Error(problem.replace(/^cancel self-test: /, ''));
  });
  await step('telemetry', async () => {
    const after = await readProgress(adapter);
    // Only an engine that reports a progress counter can prove it moves.
    if (before !== undefined && after !== undefined && after <= before)
      throw new Error(`engine progress counter did not move after decode (${before} → ${after})`);
  });
  return { identity, canary };
}

/** The engine's telemetry must be readable: its own counter when it has one, else its load. */
async function readProgress(adapter: EngineAdapter): Promise<number | undefined> {
  if (adapter.telemetry) return (await adapter.telemetry()).progress;
  await adapter.load();
  return undefined;
}
