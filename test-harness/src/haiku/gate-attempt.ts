// One attempt of the haiku gate (ORCH-5006): the seed's bare prompt for a minute/nonce pair,
// submitted only through OrchQueue v1 at Envoy (POST /v1/tasks, then GET .../stream), judged by
// the acceptance rule. The pool renders the prompt with the model's own chat template
// (prompt_format chat, ORCH-3102): the client never formats one. Shared by the gate
// (e2e-haiku/haiku.test.ts) and the pass-rate study (stack-pass-rate.ts), so both measure the
// same path.
import { randomUUID } from 'node:crypto';
import { run, terminal, tokenText } from '../../e2e/helpers/client.js';
import type { StreamEvent } from '../../e2e/helpers/client.js';
import { checkHaiku } from './acceptance.js';
import type { HaikuVerdict } from './acceptance.js';
import { seedPrompt } from './prompt.js';

/** Seed §4: the seed is fixed, so an attempt replays byte for byte at the same minute/nonce. */
const GATE_SEED = 42;
/** Enough for three short lines; what the measured pass rates used. */
const GATE_MAX_TOKENS = 64;

interface AttemptInput {
  edgeUrl: string;
  modelRef: string;
  /** The pool's sampler_profile_version: a task omitting it asks for `v1` (ORCH-3091). */
  samplerProfile: string;
  minute: number;
  minuteWords: string;
  nonce: string;
  /** Time left in the gate's budget: the task's deadline and the client's time bound. */
  budgetMs: number;
}

export interface GateAttempt {
  minute: number;
  minuteWords: string;
  nonce: string;
  prompt: string;
  body: Record<string, unknown>;
  admission: unknown;
  /** The exact SSE bytes, or (cut off by the budget) the events parsed so far. */
  sse: string;
  output: string;
  endEvent: unknown;
  /** Submit to terminal event, as the client saw it. */
  elapsedMs: number;
  verdict: HaikuVerdict;
}

export async function haikuAttempt(i: AttemptInput): Promise<GateAttempt> {
  const prompt = seedPrompt(i.minuteWords, i.nonce);
  const body = {
    task_id: randomUUID(),
    session_id: randomUUID(),
    workload: 'completion' as const,
    model_ref: i.modelRef,
    engine: 'llamacpp' as const,
    ctx: 512,
    priority: 'interactive' as const,
    max_tokens: GATE_MAX_TOKENS,
    deadline_ms: Math.max(1, Math.floor(i.budgetMs)),
    seed: GATE_SEED,
    sampler_profile_version: i.samplerProfile,
    prompt,
  };
  const base = { minute: i.minute, minuteWords: i.minuteWords, nonce: i.nonce, prompt, body };
  const expectation = { minuteWords: i.minuteWords, nonce: i.nonce };
  const t0 = performance.now();
  // Events as they arrive, so a run cut off by the budget still leaves its partial transcript.
  const seen: StreamEvent[] = [];
  try {
    const { admission, stream } = await run(i.edgeUrl, body, {
      timeoutMs: Math.max(1, i.budgetMs),
      onEvent: (ev) => seen.push(ev),
    });
    const output = tokenText(stream.events);
    return {
      ...base,
      admission: { status: admission.status, headers: admission.headers, body: admission.body },
      sse: stream.raw,
      output,
      endEvent: terminal(stream.events),
      elapsedMs: Math.round(performance.now() - t0),
      verdict: checkHaiku(output, expectation),
    };
  } catch (e) {
    // Over budget or refused: still return the transcript so the bundle shows what happened.
    const output = tokenText(seen);
    return {
      ...base,
      admission: undefined,
      sse: seen.map((ev) => `event: ${ev.event}\ndata: ${JSON.stringify(ev.data)}\n\n`).join(''),
      output,
      endEvent: { error: e instanceof Error ? e.message : String(e) },
      elapsedMs: Math.round(performance.now() - t0),
      verdict: checkHaiku(output, expectation),
    };
  }
}
