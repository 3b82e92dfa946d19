// One streamed request per path, each timed from its first request byte on the client's clock:
// - direct: POST /completion straight to engine k (llama.cpp native; the sidecar's v1 body);
// - floor: the same request through Envoy with a static route (no ext_proc), pinned to engine k;
// - shape: the OrchQueue route (POST, then GET stream) through the product's Envoy bootstrap to
//   stand-ins that do nothing but answer ext_proc and pipe the engine's bytes (paths/shape-floor.ts),
//   pinned to engine k: the floor of the product's shape itself;
// - full: OrchQueue v1, POST /v1/tasks then GET /v1/tasks/{id}/stream through the edge
//   (ext_proc placement, Assign, sidecar), timed from the POST;
// - openai: one streaming POST /v1/completions through the edge (ORCH-3103);
// - litellm: one streaming POST /v1/completions to the LiteLLM proxy, model `sim-<k>` = engine k.
import { randomUUID } from 'node:crypto';
import { DESTINATION_HEADER } from '@llama-orch/envoy';
import { completionBody } from '../direct-engine.js';
import { ENGINE_HEADER } from './shape-floor.js';
import { json, streamCall } from './http-stream.js';
import type { Streamed } from './http-stream.js';

export const PATHS = ['direct', 'floor', 'shape', 'full', 'openai', 'litellm'] as const;
export type PathName = (typeof PATHS)[number];

/** Rotates the path order per round/iteration so load drift hits every path alike. */
export function rotated(n: number): PathName[] {
  const k = n % PATHS.length;
  return [...PATHS.slice(k), ...PATHS.slice(0, k)];
}

export interface Targets {
  engines: readonly string[];
  floor: string;
  shape: string;
  edge: string;
  litellm: string;
  modelRef: string;
  prompt: string;
  maxTokens: number;
  timeoutMs: number;
}

export interface Sample {
  path: PathName;
  seed: number;
  /** Client-clock (performance.now()) marks. */
  t0: number;
  /** Full path: when the 202 came back and the stream GET started. */
  admittedAt?: number;
  firstAt: number;
  lastAt: number;
  endAt: number;
  tokens: number;
  text: string;
  correlationId: string;
}

export function ttftMs(s: Sample): number {
  return s.firstAt - s.t0;
}

function done(
  path: PathName,
  seed: number,
  t0: number,
  r: Streamed,
  correlationId: string,
  admittedAt?: number,
): Sample {
  if (!r.complete) throw new Error(`${path}: the stream ended without its terminal event`);
  return {
    path,
    seed,
    t0,
    admittedAt,
    firstAt: r.firstAt,
    lastAt: r.lastAt,
    endAt: performance.now(),
    tokens: r.tokens,
    text: r.text,
    correlationId,
  };
}

/** The OrchQueue v1 task the full path submits. */
function orchTask(t: Targets, taskId: string, seed: number): Record<string, unknown> {
  return {
    task_id: taskId,
    session_id: randomUUID(),
    workload: 'completion',
    model_ref: t.modelRef,
    engine: 'llamacpp',
    ctx: 512,
    priority: 'interactive',
    max_tokens: t.maxTokens,
    deadline_ms: 0,
    // The sim replicas are external engines: best effort, as the pool is (ORCH-4016).
    determinism: 'best_effort',
    seed,
    prompt: t.prompt,
  };
}

/** Runs one request of `path`; `k` picks the engine on the paths the client pins. */
export async function runPath(
  t: Targets,
  path: PathName,
  k: number,
  seed: number,
): Promise<Sample> {
  const engine = t.engines[k % t.engines.length] as string;
  const correlationId = randomUUID();
  const cid = { 'x-correlation-id': correlationId };
  const native = JSON.stringify(completionBody(t.prompt, t.maxTokens, seed));
  const t0 = performance.now();
  switch (path) {
    case 'direct': {
      const r = await streamCall(
        { method: 'POST', url: `${engine}/completion`, body: native, timeoutMs: t.timeoutMs },
        'llama',
      );
      return done(path, seed, t0, r, correlationId);
    }
    case 'floor': {
      const r = await streamCall(
        {
          method: 'POST',
          url: `${t.floor}/completion`,
          body: native,
          headers: { ...cid, [DESTINATION_HEADER]: new URL(engine).host },
          timeoutMs: t.timeoutMs,
        },
        'llama',
      );
      return done(path, seed, t0, r, correlationId);
    }
    case 'shape':
    case 'full': {
      // The OrchQueue route: submit, then open the task's stream once the 202 is back.
      const taskId = randomUUID();
      const shape = path === 'shape';
      const admitted = await json({
        method: 'POST',
        url: `${shape ? t.shape : t.edge}/v1/tasks`,
        headers: shape ? { ...cid, [ENGINE_HEADER]: new URL(engine).host } : cid,
        body: JSON.stringify(
          shape
            ? { task_id: taskId, engine_body: JSON.parse(native) as unknown }
            : orchTask(t, taskId, seed),
        ),
        timeoutMs: t.timeoutMs,
      });
      if (admitted.status !== 202) {
        throw new Error(`${path}: admission ${admitted.status}: ${JSON.stringify(admitted.body)}`);
      }
      const admittedAt = performance.now();
      const r = await streamCall(
        {
          method: 'GET',
          url: `${shape ? t.shape : t.edge}/v1/tasks/${taskId}/stream`,
          headers: cid,
          timeoutMs: t.timeoutMs,
        },
        // The shape floor's relay passes the engine's own events through.
        shape ? 'llama' : 'orch',
      );
      return done(path, seed, t0, r, correlationId, admittedAt);
    }
    case 'openai':
    case 'litellm': {
      const r = await streamCall(
        {
          method: 'POST',
          url: `${path === 'openai' ? t.edge : t.litellm}/v1/completions`,
          headers: cid,
          body: JSON.stringify({
            model: path === 'openai' ? t.modelRef : `sim-${k % t.engines.length}`,
            prompt: t.prompt,
            max_tokens: t.maxTokens,
            temperature: 0.8,
            seed,
            stream: true,
          }),
          timeoutMs: t.timeoutMs,
        },
        'openai',
      );
      return done(path, seed, t0, r, correlationId);
    }
  }
}
