// Zero-compute mode (the overhead bench's engine, ORCH-5008): fixed-length streams with the same
// tokens the normal mode gives, so a bench compares paths on identical work. No timing asserted.
import { afterAll, describe, expect, it } from 'vitest';
import { startEngineSim, zeroComputeConfig, type EngineSim } from './index.js';

const sims: EngineSim[] = [];
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

async function tokens(sim: EngineSim, seed: number, nPredict: number): Promise<[string, string]> {
  const res = await fetch(`${sim.url}/completion`, {
    method: 'POST',
    body: JSON.stringify({ prompt: 'Once upon a time', n_predict: nPredict, seed, stream: false }),
  });
  const body = (await res.json()) as { content: string; tokens_predicted: number };
  return [body.content, String(body.tokens_predicted)];
}

describe('ORCH-5008: engine simulator zero-compute mode', () => {
  it('every stream is exactly its token limit long; the tokens are the normal mode’s', async () => {
    const zero = await startEngineSim({ config: zeroComputeConfig(1, 0) });
    const normal = await startEngineSim({ config: { prefillOverheadMs: 0, itlMs: 0 } });
    sims.push(zero, normal);
    let shorter = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const [zText, zN] = await tokens(zero, seed, 120);
      const [nText, nN] = await tokens(normal, seed, 120);
      expect(zN).toBe('120');
      // The normal mode stops at its seeded natural length (8..96): a prefix of the same text.
      expect(zText.startsWith(nText ?? '')).toBe(true);
      if (Number(nN) < 120) shorter += 1;
    }
    expect(shorter).toBe(12);
    expect(zeroComputeConfig(15, 5)).toMatchObject({
      jitter: 0,
      loadFactor: 1,
      prefillMsPerToken: 0,
    });
  });
});
