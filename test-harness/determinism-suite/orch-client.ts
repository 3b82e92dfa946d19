// OrchQueue v1 through the public edge (ORCH-2001/2002): POST /v1/tasks, then GET the stream at
// Envoy, which ext_proc routes to the sidecar that placement chose. The task pins one replica of
// one pool (`placement.pin_replica_id`), so each run names where it must execute.
import { randomUUID } from 'node:crypto';
import { SseParser } from '@llama-orch/contracts';
import type { SseEnd, SseError, TaskRequest } from '@llama-orch/contracts';

export interface PinnedRun {
  prompt: string;
  seed: number;
  maxTokens: number;
  poolId: string;
  replicaId: string;
  modelRef: string;
  ctx: number;
  samplerProfileVersion: string;
}

export interface RunResult {
  taskId: string;
  tokens: string[];
  end: SseEnd | undefined;
  error: SseError | undefined;
  /** Event names in order, for framing assertions. */
  events: string[];
  ms: number;
}

function taskRequest(run: PinnedRun, taskId: string): TaskRequest {
  return {
    task_id: taskId,
    session_id: randomUUID(),
    workload: 'completion',
    model_ref: run.modelRef,
    engine: 'llamacpp',
    ctx: run.ctx,
    priority: 'interactive',
    max_tokens: run.maxTokens,
    deadline_ms: 0,
    seed: run.seed,
    determinism: 'strict',
    sampler_profile_version: run.samplerProfileVersion,
    prompt: run.prompt,
    placement: { mode: 'pin', pin_pool_id: run.poolId, pin_replica_id: run.replicaId },
  };
}

/** Told about each retriable refusal before the client waits and retries. */
export type OnRetry = (taskId: string, status: number, envelope: string) => Promise<void> | void;

/**
 * POST /v1/tasks. A retriable refusal (e.g. POOL_UNREADY while a heartbeat is late on a loaded
 * machine) is retried after its retry_after_ms, as a client should, until `budgetMs` is spent.
 */
async function admit(
  edgeUrl: string,
  body: TaskRequest,
  signal: AbortSignal,
  budgetMs: number,
  onRetry: OnRetry,
): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const res = await fetch(`${edgeUrl}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
    const text = await res.text();
    if (res.status === 202) return;
    const env = JSON.parse(text || '{}') as { retriable?: boolean; retry_after_ms?: number };
    const wait = Math.max(100, env.retry_after_ms ?? 1_000);
    if (env.retriable !== true || Date.now() + wait > deadline) {
      throw new Error(`POST /v1/tasks → ${res.status}: ${text}`);
    }
    await onRetry(body.task_id, res.status, text);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Admits and streams one pinned task; throws on a final refusal or a cut-off stream. */
export async function runPinned(
  edgeUrl: string,
  run: PinnedRun,
  timeoutMs: number,
  onRetry: OnRetry = () => undefined,
): Promise<RunResult> {
  const t0 = Date.now();
  const signal = AbortSignal.timeout(timeoutMs);
  const taskId = randomUUID();
  await admit(edgeUrl, taskRequest(run, taskId), signal, timeoutMs / 2, onRetry);
  const res = await fetch(`${edgeUrl}/v1/tasks/${taskId}/stream`, { signal });
  if (res.status !== 200 || !res.body) {
    throw new Error(`GET stream → ${res.status}: ${await res.text()}`);
  }
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const out: RunResult = {
    taskId,
    tokens: [],
    end: undefined,
    error: undefined,
    events: [],
    ms: 0,
  };
  for await (const chunk of res.body) {
    for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) {
      out.events.push(ev.event);
      if (ev.event === 'token') {
        const tok = JSON.parse(ev.data) as { t: string; i: number };
        if (tok.i !== out.tokens.length) {
          throw new Error(`task ${taskId}: token index ${tok.i}, expected ${out.tokens.length}`);
        }
        out.tokens.push(tok.t);
      } else if (ev.event === 'end') {
        out.end = JSON.parse(ev.data) as SseEnd;
      } else if (ev.event === 'error') {
        out.error = JSON.parse(ev.data) as SseError;
      }
    }
  }
  if (parser.pending.trim() !== '') throw new Error(`task ${taskId}: stream cut off mid-event`);
  out.ms = Date.now() - t0;
  return out;
}
