import { describe, expect, it } from 'vitest';
import { adapterModule } from '../registry.js';
import { identityFeatures } from '../simulated.js';
import type { GenerationEvent, GenerationRequest } from '../types.js';
import { MockAdapter } from './adapter.js';

async function run(
  a: MockAdapter,
  over: Partial<GenerationRequest> = {},
  onToken?: (n: number, ac: AbortController) => void,
): Promise<GenerationEvent[]> {
  const ac = new AbortController();
  const out: GenerationEvent[] = [];
  for await (const ev of a.generate({
    prompt: 'once upon a time',
    maxTokens: 8,
    seed: 7,
    samplerProfile: 'v1',
    signal: ac.signal,
    ...over,
  })) {
    out.push(ev);
    if (ev.type === 'token') onToken?.(out.length, ac);
  }
  return out;
}

const texts = (evs: GenerationEvent[]): string[] =>
  evs.flatMap((e) => (e.type === 'token' ? [e.text] : []));
const outcome = (evs: GenerationEvent[]) => {
  const last = evs.at(-1);
  if (last?.type !== 'outcome') throw new Error('no terminal outcome');
  expect(evs.filter((e) => e.type === 'outcome')).toHaveLength(1);
  return last.outcome;
};

describe('ORCH-4014: mock adapter (in-process, scripted faults)', () => {
  it('ORCH-4020: identifies as simulated (mock- version, simulated feature); registered as `mock`', async () => {
    const id = await new MockAdapter().identify();
    expect(id.engineVersion.startsWith('mock-')).toBe(true);
    expect(identityFeatures(id)).toContain('simulated');
    expect(identityFeatures({ ...id, engineVersion: 'sim-b1', features: [] })).toEqual([
      'simulated',
    ]);
    expect(identityFeatures({ ...id, engineVersion: 'b6497-abc', features: [] })).toEqual([]);
    expect(adapterModule('mock').create({ baseUrl: 'http://unused' })).toBeInstanceOf(MockAdapter);
  });

  it('ORCH-3050: same seed and prompt give the same stream; another seed differs', async () => {
    const a = new MockAdapter();
    const one = texts(await run(a));
    expect(one).toEqual(texts(await run(a)));
    expect(one).not.toEqual(texts(await run(a, { seed: 8 })));
    expect(outcome(await run(a))).toMatchObject({ reason: 'length', tokensOut: 8, tokensIn: 4 });
    expect(outcome(await run(a, { maxTokens: 20 }))).toMatchObject({
      reason: 'stop',
      tokensOut: 8,
    });
  });

  it('ORCH-2028: scripted error and reset become coded outcomes after the scripted tokens', async () => {
    const a = new MockAdapter({
      script: {
        tokens: ['a', 'b', 'c'],
        fault: { kind: 'error', afterTokens: 2, code: 'INVALID_PARAMS' },
      },
    });
    const evs = await run(a);
    expect(texts(evs)).toEqual(['a', 'b']);
    expect(outcome(evs)).toMatchObject({
      reason: 'error',
      error: { code: 'INVALID_PARAMS', retriable: false },
    });
    a.script = { tokens: ['a', 'b'], fault: { kind: 'reset', afterTokens: 1 } };
    expect(outcome(await run(a)).error).toMatchObject({ code: 'WORKER_RESET', retriable: true });
  });

  it('ORCH-4013: abort mid-stream → canceled; ignore-cancel keeps the slot busy for a while', async () => {
    const a = new MockAdapter({ script: { count: 50, tokenDelayMs: 5, ignoreCancelMs: 150 } });
    const evs = await run(a, { maxTokens: 50 }, (n, ac) => {
      if (n === 2) ac.abort();
    });
    expect(outcome(evs).reason).toBe('canceled');
    expect(texts(evs).length).toBeLessThan(5);
    expect((await a.load()).slotsBusy).toBe(1);
    await new Promise((r) => setTimeout(r, 250));
    expect((await a.load()).slotsBusy).toBe(0);
  });

  it('ORCH-3016: a hang yields nothing until aborted; unknown profile → INVALID_PARAMS', async () => {
    const a = new MockAdapter({
      script: { tokens: ['x', 'y'], fault: { kind: 'hang', afterTokens: 1 } },
    });
    const t0 = Date.now();
    const evs = await run(a, {}, (_n, ac) => setTimeout(() => ac.abort(), 50));
    expect(texts(evs)).toEqual(['x']);
    expect(outcome(evs).reason).toBe('canceled');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(outcome(await run(a, { samplerProfile: 'v999' })).error?.code).toBe('INVALID_PARAMS');
  });
});
