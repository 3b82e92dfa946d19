// ORCH-3131 smoke: the through-the-stack goodput bench (goodput-stack.ts) runs briefly end to end
// (engine-sim replicas with the prefix-cache model behind Envoy, placement and sidecars; every
// profile and workload, placement restarted per profile) and produces a complete table. Figures
// are not asserted (timing assertions are forbidden in tests), only that every row has them and
// that prompts reached the engines' prefix caches through the stack on the shared-prefix workload
// and not on the uniform one.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, PROFILES, WORKLOADS, runGoodputStack } from './goodput-stack.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ORCH-3131: placement goodput through the real stack', () => {
  it('ORCH-3131: every workload x profile has a knee with finite figures; the report is written', async () => {
    dir = await mkdtemp(join(tmpdir(), 'goodput-stack-smoke-'));
    const out = join(dir, 'goodput-stack.json');
    const r = await runGoodputStack({
      ...DEFAULTS,
      replicas: 2,
      rates: { 'shared-prefix multi-turn': [2], uniform: [2] },
      warmupS: 0.5,
      durationS: 2,
      ttftSloMs: [2000, 500],
      giveUpMs: 8000,
      maxTokens: 2,
      prefillMsPerToken: 1,
      itlMs: 5,
      systems: 2,
      systemWords: 80,
      sessions: 4,
      out,
      log: () => undefined,
    });
    expect(r.rows.map((x) => `${x.workload}|${x.sloMs}|${x.profile}`)).toEqual(
      WORKLOADS.flatMap((w) =>
        [2000, 500].flatMap((slo) => PROFILES.map((p) => `${w}|${slo}|${p}`)),
      ),
    );
    for (const [key, sweep] of Object.entries(r.sweeps)) {
      expect(sweep.length, key).toBe(1);
      expect(sweep[0]?.measured, key).toBeGreaterThan(0);
      expect(sweep[0]?.failed, `${key}: ${sweep[0]?.errors.join('; ')}`).toBe(0);
    }
    for (const row of r.rows.filter((x) => x.sloMs === 2000)) {
      const at = `${row.workload} / ${row.profile}`;
      for (const v of [row.goodput, row.vsRoundRobin, row.vsDefault, row.ttftP50, row.ttftP99]) {
        expect(Number.isFinite(v), `${at}: ${String(v)}`).toBe(true);
      }
      expect(row.goodput, at).toBeGreaterThan(0);
    }
    const cached = (w: string, p: string): number =>
      r.rows.find((x) => x.workload === w && x.profile === p)?.cachedShare ?? Number.NaN;
    expect(cached('shared-prefix multi-turn', 'prefix-cache')).toBeGreaterThan(0.2);
    for (const p of PROFILES) expect(cached('uniform', p)).toBeLessThan(0.1);
    expect(r.text).toContain('x round-robin');
    expect(r.text).toMatch(/load average [\d.]+/);
    const written = JSON.parse(await readFile(out, 'utf8')) as { rows: unknown[] };
    expect(written.rows).toHaveLength(12);
    expect(await readFile(out.replace(/\.json$/, '.txt'), 'utf8')).toContain('| uniform');
  }, 240_000);
});
