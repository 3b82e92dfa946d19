import { describe, expect, it } from 'vitest';
import { TaskSpec, type LeaseFinished } from '@llama-orch/proto';
import type { EngineAdapter, GenerationEvent, GenerationRequest } from '../adapters/types.js';
import type { Lease } from '../control/lease-store.js';
import type { AbortReason } from '../http/metrics.js';
import { SseStreamWriter } from '../sse/stream-writer.js';
import { LeaseStream } from './lease-stream.js';

/** Emits a token every `everyMs` until aborted (an engine that never stops). */
function endlessAdapter(everyMs: number): EngineAdapter {
  return {
    ...hangingAdapter([]),
    async *generate(req: GenerationRequest): AsyncGenerator<GenerationEvent> {
      let n = 0;
      while (!req.signal.aborted) {
        yield { type: 'token', text: 'x', tokenIds: [1] };
        n += 1;
        await new Promise((r) => setTimeout(r, everyMs));
      }
      yield { type: 'outcome', outcome: { reason: 'canceled', tokensIn: 2, tokensOut: n } };
    },
  };
}

/** Emits `tokens`, then hangs until aborted (an engine that went silent). */
function hangingAdapter(tokens: string[]): EngineAdapter {
  return {
    engine: 'llamacpp',
    samplerProfiles: ['v1'],
    async *generate(req: GenerationRequest): AsyncGenerator<GenerationEvent> {
      for (const t of tokens) yield { type: 'token', text: t, tokenIds: [1] };
      await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve()));
      yield {
        type: 'outcome',
        outcome: { reason: 'canceled', tokensIn: 2, tokensOut: tokens.length },
      };
    },
    health: () => Promise.resolve({ ready: true }),
    identify: () => Promise.reject(new Error('unused')),
    load: () => Promise.reject(new Error('unused')),
    checkDeterminism: () => Promise.reject(new Error('unused')),
  };
}

function setup(
  idleTimeoutMs: number,
  task: Partial<TaskSpec> = {},
  adapter: EngineAdapter = hangingAdapter(['a', 'b']),
) {
  const chunks: string[] = [];
  const aborted: AbortReason[] = [];
  const finished: LeaseFinished[] = [];
  const failures: string[] = [];
  const lease: Lease = {
    leaseId: 'l',
    task: TaskSpec.fromPartial({ taskId: 't', prompt: 'p', maxTokens: 4, ...task }),
    queuePosition: 0,
    predictedStartMs: 0,
    state: 'streaming',
    assignedAt: 0,
  };
  const writer = new SseStreamWriter({ write: (c) => chunks.push(c), end: () => undefined });
  const stream = new LeaseStream(lease, writer, {
    adapter,
    defaultSamplerProfile: 'v1',
    now: () => performance.now(),
    onStarted: () => undefined,
    onAborted: (r) => aborted.push(r),
    onFinished: (_l, f) => finished.push(f),
    onEngineFailure: (r) => failures.push(r),
    idleTimeoutMs,
  });
  return { stream, chunks, aborted, finished, failures };
}

describe('ORCH-3016/3026: lease stream', () => {
  it('ORCH-3016: an engine silent past the idle watchdog ends with error{DECODE_TIMEOUT}', async () => {
    const s = setup(100);
    const t0 = performance.now();
    await s.stream.run();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(s.chunks.at(-1)).toContain('event: error');
    expect(s.chunks.at(-1)).toContain('"code":"DECODE_TIMEOUT"');
    expect(s.aborted).toEqual(['watchdog']);
    expect(s.finished[0]).toMatchObject({
      reason: 'error',
      errorCode: 'DECODE_TIMEOUT',
      tokensOut: 2,
    });
  });

  it("ORCH-3016: placement's timeouts.idle_ms from the Assign replaces the sidecar's own idle limit", async () => {
    // The sidecar's own limit (60 s) would keep this test waiting; the Assign's 80 ms ends it.
    const s = setup(60_000, { idleTimeoutMs: 80 });
    const t0 = performance.now();
    await s.stream.run();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(s.chunks.at(-1)).toContain('"code":"DECODE_TIMEOUT"');
    expect(s.chunks.at(-1)).toContain('timeouts.idle_ms');
    expect(s.finished[0]).toMatchObject({ reason: 'error', errorCode: 'DECODE_TIMEOUT' });
  });

  it('ORCH-3016: timeouts.wall_ms from the Assign ends an engine that never stops', async () => {
    // Tokens every 10 ms keep the idle watchdog quiet; only the wall clock can end this stream.
    const s = setup(5_000, { wallTimeoutMs: 150 }, endlessAdapter(10));
    const t0 = performance.now();
    await s.stream.run();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(s.chunks.at(-1)).toContain('"code":"DECODE_TIMEOUT"');
    expect(s.chunks.at(-1)).toContain('timeouts.wall_ms');
    expect(s.aborted).toEqual(['watchdog']);
    expect(s.finished[0]?.tokensOut).toBeGreaterThan(3);
  });

  it('ORCH-3026: cancel writes end{canceled} at once; nothing follows', async () => {
    const s = setup(0);
    const running = s.stream.run();
    await new Promise((r) => setTimeout(r, 20));
    s.stream.cancel('client');
    const n = s.chunks.length;
    expect(s.chunks.at(-1)).toMatch(
      /^id: 3\nevent: end\ndata: \{"tokens_out":2,"decode_time_ms":\d+,"reason":"canceled"\}\n\n$/,
    );
    await running;
    expect(s.chunks.length).toBe(n);
    expect(s.aborted).toEqual(['cancel']);
    expect(s.finished[0]).toMatchObject({ reason: 'canceled', tokensOut: 2 });
  });
});
