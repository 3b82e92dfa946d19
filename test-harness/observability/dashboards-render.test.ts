// Render check (issue 9): the real stack, a real Prometheus scraping it every second with the
// committed alert rules, and some load. Every dashboard panel query and every alert expression
// is evaluated through the Prometheus HTTP API: each must parse, each panel query must return at
// least one series, and every rule must evaluate without error (ORCH-3028, ORCH-3041).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS } from '../../ci/dashboards/src/alerts.js';
import { PANELS } from '../../ci/dashboards/src/panels.js';
import { startStack } from '../src/stack/index.js';
import type { Stack } from '../src/stack/index.js';
import { cancel, submit, taskBody } from './client.js';
import { startPrometheus } from './prometheus-server.js';
import type { PrometheusServer } from './prometheus-server.js';
import { runWorkload } from './workload.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds (bounded); returns whether it did. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(500);
  }
  return check();
}

describe('ORCH-3041: dashboards and alerts render against a live Prometheus', () => {
  let stack: Stack;
  let prom: PrometheusServer;

  beforeAll(async () => {
    stack = await startStack({
      tweak: (c) => {
        // A queue of one makes a second waiting task a real 429 (backpressure panel).
        c.queue.interactive.capacity = 1;
        for (const p of c.pools) p.queue.interactive.capacity = 1;
      },
    });
    prom = await startPrometheus(stack);
    const up = await eventually(async () => {
      const r = await prom.query('sum(up)');
      return Number((r.data?.result[0]?.value as [number, string] | undefined)?.[1]) === 3;
    }, 30_000);
    if (!up) throw new Error('Prometheus never saw all three targets up');

    // Load: a backpressure rejection (queue full), then the contract workload.
    const waiting = taskBody();
    await submit(stack.url, waiting);
    await submit(stack.url, taskBody());
    await cancel(stack.url, waiting.task_id);
    await runWorkload(stack.url);
    // Enough scrapes after the load for rate() windows to hold two samples of every new series.
    await sleep(5_000);
  }, 300_000);

  afterAll(async () => {
    await prom?.close();
    await stack?.close();
  }, 60_000);

  it('ORCH-3041: the API rejects an expression that does not parse (the check can fail)', async () => {
    const r = await prom.query('sum(rate(tokens_out_total[5m])');
    expect(r.status).toBe('error');
    expect(r.errorType).toBe('bad_data');
  });

  it('ORCH-3028: every panel query parses and returns at least one series', async () => {
    const empty: string[] = [];
    for (const panel of PANELS) {
      for (const q of panel.queries) {
        const r = await prom.query(q.expr);
        expect(r.status, `${panel.title}: ${q.expr}: ${r.error ?? ''}`).toBe('success');
        if ((r.data?.result.length ?? 0) === 0) empty.push(`${panel.title}: ${q.expr}`);
      }
    }
    expect(empty).toEqual([]);
  });

  it('ORCH-3041: every alert expression parses, and every rule evaluates without error', async () => {
    for (const a of ALERTS) {
      const r = await prom.query(a.expr);
      expect(r.status, `${a.alert}: ${r.error ?? ''}`).toBe('success');
    }
    const healthy = await eventually(async () => {
      const rules = await prom.rules();
      return rules.length === ALERTS.length && rules.every((r) => r.health === 'ok');
    }, 15_000);
    expect(healthy, JSON.stringify(await prom.rules())).toBe(true);
  });

  it('ORCH-3041: no SLO alert is active on a healthy stack after light load', async () => {
    const r = await prom.query('ALERTS{alertname=~"LlamaOrch.*", alertstate="firing"}');
    expect(r.status).toBe('success');
    expect(r.data?.result.map((s) => s.metric.alertname)).toEqual([]);
  });
});
