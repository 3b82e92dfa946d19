// ORCH-3100: the stream's metrics event carries the scheduling signals placement sent in Assign.
import { parseSseTranscript } from '@llama-orch/contracts';
import { TaskSpec } from '@llama-orch/proto';
import { describe, expect, it } from 'vitest';
import type { EngineAdapter, GenerationEvent } from '../adapters/types.js';
import type { Lease } from '../control/lease-store.js';
import { LeaseStore } from '../control/lease-store.js';
import { SseStreamWriter } from '../sse/stream-writer.js';
import { LeaseStream } from './lease-stream.js';

const finishing: EngineAdapter = {
  engine: 'llamacpp',
  samplerProfiles: ['v1'],
  async *generate(): AsyncGenerator<GenerationEvent> {
    await Promise.resolve();
    yield { type: 'token', text: 'a', tokenIds: [1] };
    yield { type: 'outcome', outcome: { reason: 'stop', tokensIn: 1, tokensOut: 1 } };
  },
  health: () => Promise.resolve({ ready: true }),
  identify: () => Promise.reject(new Error('unused')),
  load: () => Promise.reject(new Error('unused')),
  checkDeterminism: () => Promise.reject(new Error('unused')),
};

async function run(lease: Lease): Promise<{ event: string; data: unknown }[]> {
  const chunks: string[] = [];
  const writer = new SseStreamWriter({ write: (c) => chunks.push(c), end: () => undefined });
  await new LeaseStream(lease, writer, {
    adapter: finishing,
    defaultSamplerProfile: 'v1',
    now: () => 0,
    onStarted: () => undefined,
    onAborted: () => undefined,
    onFinished: () => undefined,
    onEngineFailure: () => undefined,
    idleTimeoutMs: 0,
  }).run();
  return parseSseTranscript(chunks.join('')).map((e) => ({
    event: e.event,
    data: JSON.parse(e.data) as unknown,
  }));
}

function accepted(extra: Record<string, unknown>): Lease {
  const r = new LeaseStore(() => 0).accept({
    leaseId: 'l1',
    task: TaskSpec.fromPartial({ taskId: 't1', prompt: 'p', maxTokens: 4 }),
    queuePosition: 0,
    predictedStartMs: 0,
    kvWarmth: false,
    ...extra,
  });
  if (!r.ok) throw new Error(r.reason);
  return r.lease;
}

describe('ORCH-3100: the metrics event carries scheduling signals', () => {
  it('ORCH-3100: one metrics event before end with on_time_probability, queue_depth and kv_warmth', async () => {
    const events = await run(accepted({ queueDepth: 2, onTimeProbability: 0.75 }));
    expect(events.map((e) => e.event)).toEqual(['started', 'token', 'metrics', 'end']);
    expect(events[2]?.data).toEqual({
      on_time_probability: 0.75,
      queue_depth: 2,
      kv_warmth: false,
    });
  });

  it('ORCH-3100: without a deadline the event has no on_time_probability', async () => {
    const events = await run(accepted({ queueDepth: 0 }));
    expect(events.find((e) => e.event === 'metrics')?.data).toEqual({
      queue_depth: 0,
      kv_warmth: false,
    });
  });
});
