// ORCH-5008 smoke: the side-by-side bench runs briefly end to end (engine-sim replicas behind the
// real stack, the Envoy floor, the shape floor, the LiteLLM proxy) and produces a complete table. Figures are not
// asserted (timing assertions are forbidden in tests): only that every path and hop has one.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PATHS } from './paths/runners.js';
import { runSideBySide } from './side-by-side.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ORCH-5008: side-by-side overhead bench', () => {
  it('ORCH-5008: every path at every level and every hop has figures; the report is written', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    const out = join(dir, 'side-by-side.json');
    const r = await runSideBySide({
      replicas: 2,
      levels: [1, 2],
      rounds: 1,
      iterations: 2,
      maxTokens: 4,
      ttftMs: 5,
      itlMs: 2,
      warmup: 0,
      perHop: 1,
      out,
      log: () => undefined,
    });
    expect(r.levels.map((l) => l.concurrency)).toEqual([1, 2]);
    for (const level of r.levels) {
      for (const p of PATHS) {
        const s = level.paths[p];
        expect(s, `${p} at c=${level.concurrency}`).toBeDefined();
        expect(s?.samples).toBe(2);
        for (const v of [s?.ttft_p50_ms, s?.ttft_p99_ms, s?.throughput_tokens_per_s]) {
          expect(Number.isFinite(v), `${p}: ${String(v)}`).toBe(true);
        }
        if (p !== 'direct') expect(Number.isFinite(s?.added_ttft_p50_ms)).toBe(true);
      }
    }
    // Each hop row has a figure for the paths it applies to.
    const hop = (name: string): Record<string, unknown> | undefined =>
      r.hops.find((h) => h.hop.includes(name));
    for (const p of PATHS) {
      expect(Number.isFinite(hop('TTFT at the client')?.[p]), p).toBe(true);
      expect(Number.isFinite(hop('engine: request -> first token')?.[p]), p).toBe(true);
    }
    for (const p of ['floor', 'shape', 'full', 'openai']) {
      expect(Number.isFinite(hop('Envoy: request in')?.[p]), p).toBe(true);
      expect(Number.isFinite(hop('upstream out -> first upstream byte')?.[p]), p).toBe(true);
    }
    expect(Number.isFinite(hop('placement: ext_proc reply held')?.full)).toBe(true);
    expect(Number.isFinite(hop('submission')?.full)).toBe(true);
    expect(Number.isFinite(hop('submission')?.shape)).toBe(true);
    for (const label of [
      'direct (engine)',
      'Envoy static route',
      'shape floor',
      'OrchQueue (full)',
      'OpenAI path',
      'LiteLLM proxy',
    ]) {
      expect(r.text).toContain(label);
    }
    // CPU per token at the concurrent level: every path, and the processes it runs through.
    const cpu = r.cpu.find((l) => l.concurrency === 2)?.us_per_token;
    expect(Object.keys(cpu ?? {}).sort()).toEqual([...PATHS].sort());
    for (const [p, component] of [
      ['full', 'placement'],
      ['full', 'sidecars'],
      ['floor', 'envoy floor'],
      ['shape', 'envoy shape'],
      ['shape', 'shape stand-ins'],
      ['litellm', 'litellm'],
    ] as const) {
      expect(Number.isFinite(cpu?.[p]?.[component]), `${p}: ${component}`).toBe(true);
    }
    expect(r.text).toContain('CPU µs per token, c=2');
    const written = JSON.parse(await readFile(out, 'utf8')) as {
      levels: unknown[];
      hops: unknown[];
    };
    expect(written.levels).toHaveLength(2);
    expect(written.hops.length).toBe(r.hops.length);
  }, 1_200_000);
});
