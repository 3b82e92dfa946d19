// ci/dashboards without a stack: the committed files are exactly what the generator writes
// (ORCH-5005), promtool accepts the rules and the Prometheus config, and the dashboard covers
// the panels issue 9 asks for, using only metrics of the contract (ORCH-3028, ORCH-3041).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS } from '../../ci/dashboards/src/alerts.js';
import { fileOf, renderAll } from '../../ci/dashboards/src/generate.js';
import { PANELS } from '../../ci/dashboards/src/panels.js';
import { loadContract } from './contract.js';
import { loadPromBins, runTool } from './promtool.js';
import type { PromBins } from './promtool.js';

const METRIC_NAMES = loadContract().metrics.map((m) => m.name);

/** Contract metric names an expression uses (a histogram's _bucket counts as the histogram). */
function metricsIn(expr: string): string[] {
  const words = expr.match(/[a-z_][a-z0-9_]*/g) ?? [];
  return [...new Set(words.map((w) => w.replace(/_bucket$/, '')))].filter((w) =>
    METRIC_NAMES.includes(w),
  );
}

describe('ORCH-3041: dashboards, alert rules and Prometheus config (ci/dashboards)', () => {
  let bins: PromBins;
  let files: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    bins = await loadPromBins();
    files = await renderAll();
    dir = await mkdtemp(join(tmpdir(), 'obs-dash-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ORCH-5005: committed output equals a fresh generation (no diff)', () => {
    expect(Object.keys(files).length).toBe(3);
    for (const [rel, text] of Object.entries(files))
      expect(readFileSync(fileOf(rel), 'utf8'), rel).toBe(text);
  });

  it('ORCH-3041: promtool check rules passes and finds every alert', async () => {
    const r = await runTool(bins.promtool, ['check', 'rules', fileOf('prometheus/alerts.yml')]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${ALERTS.length} rules found`);
  });

  it('ORCH-3041: promtool check rules fails on a broken expression (the check can fail)', async () => {
    const bad = join(dir, 'bad.yml');
    await writeFile(
      bad,
      'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum(rate(x[5m])\n',
    );
    expect((await runTool(bins.promtool, ['check', 'rules', bad])).code).not.toBe(0);
  });

  it('ORCH-3028: promtool check config passes on the committed Prometheus config', async () => {
    const r = await runTool(bins.promtool, [
      'check',
      'config',
      '--syntax-only',
      fileOf('prometheus/prometheus.yml'),
    ]);
    expect(r.code, r.output).toBe(0);
  });

  it('ORCH-3028: the dashboard has the required panels and queries only contract metrics', () => {
    const dashboard = JSON.parse(files['grafana/llama-orch-fleet.json'] ?? '{}') as {
      panels: { type: string; title: string; targets?: { expr: string }[] }[];
    };
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBe(PANELS.length);
    const used = new Set(
      panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricsIn(t.expr))),
    );
    for (const m of [
      'queue_depth',
      'tasks_rejected_total',
      'latency_first_token_ms',
      'latency_decode_ms',
      'tokens_out_total',
      'placement_replicas_ready',
      'admission_share',
      'deadlines_met_ratio',
      'sidecar_engine_restarts_total',
    ])
      expect(used.has(m), m).toBe(true);
    for (const p of panels)
      for (const t of p.targets ?? [])
        expect(metricsIn(t.expr).length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
  });

  it('ORCH-3041: alerts cover the three interactive SLOs, unready replicas and restart storms', () => {
    const exprs = ALERTS.map((a) => a.expr).join('\n');
    expect(exprs).toMatch(/latency_first_token_ms_bucket\{priority="interactive"\}.*> 900/);
    expect(exprs).toMatch(/latency_decode_ms_bucket\{priority="interactive"\}.*> 2500/);
    expect(exprs).toContain('> 0.005');
    expect(exprs).toContain('model_state{state!="ready"}');
    expect(exprs).toContain('increase(sidecar_engine_restarts_total[10m])) >= 3');
  });
});
