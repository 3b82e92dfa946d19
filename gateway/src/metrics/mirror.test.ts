import { describe, expect, it } from 'vitest';
import type { SchedulerSnapshot } from '@llama-orch/core';
import { LabelBudget, OTHER } from './label-budget.js';
import { createMetrics } from './metrics.js';
import { mirrorModelStates, mirrorSnapshot, modelStateOf } from './mirror.js';
import type { ReplicaStateView } from './mirror.js';

function snapshot(partial: Partial<SchedulerSnapshot>): SchedulerSnapshot {
  return {
    ...({} as SchedulerSnapshot),
    admissionShare: [],
    deadlinesMetRatio: [],
    ...partial,
  };
}

const replica: ReplicaStateView = {
  engine: 'llamacpp',
  engineVersion: 'b1-abc',
  poolId: 'p',
  replicaId: 'r0',
  modelDigest: 'sha256:00',
  ready: false,
  reported: true,
  unreadyReason: '',
};

describe('ORCH-4019: cardinality guard', () => {
  it('ORCH-4019: values past the budget fold into other, known values keep their name', () => {
    const budget = new LabelBudget({ tenant: 2 });
    expect(budget.fold('tenant', 'a')).toBe('a');
    expect(budget.fold('tenant', 'b')).toBe('b');
    expect(budget.fold('tenant', 'c')).toBe(OTHER);
    expect(budget.fold('tenant', 'a')).toBe('a');
    expect(budget.fold('unbudgeted', 'x')).toBe('x');
  });

  it('ORCH-4019: 2000 distinct reasons give at most 16 + other series', async () => {
    const metrics = createMetrics();
    for (let i = 0; i < 2000; i++)
      metrics.tasksRejected.inc({ engine: 'llamacpp', reason: `R${i}`, api: 'orchqueue' });
    const text = await metrics.registry.getSingleMetricAsString('tasks_rejected_total');
    const series = text.split('\n').filter((l) => l.startsWith('tasks_rejected_total{'));
    expect(series).toHaveLength(17);
    expect(text).toContain('reason="other",api="orchqueue"} 1984');
  });

  it('ORCH-3077: configured tenants with the highest weight get the tenant budget first', async () => {
    const tenants: Record<string, { weight: number }> = {};
    for (let i = 0; i < 70; i++) tenants[`t${i}`] = { weight: i };
    const metrics = createMetrics({ tenants });
    mirrorSnapshot(
      metrics,
      snapshot({
        admissionShare: [
          { tenant: 't69', priority: 'interactive', share: 0.5 },
          { tenant: 't0', priority: 'interactive', share: 0.3 },
          { tenant: 't1', priority: 'interactive', share: 0.2 },
        ],
        deadlinesMetRatio: [{ priority: 'interactive', ratio: 0.75, met: 3, total: 4 }],
      }),
    );
    const text = await metrics.registry.metrics();
    expect(text).toContain('admission_share{tenant="t69",priority="interactive"} 0.5');
    expect(text).toContain('admission_share{tenant="other",priority="interactive"} 0.5');
    expect(text).not.toContain('tenant="t0"');
    expect(text).toContain('deadlines_met_ratio{priority="interactive"} 0.75');
  });
});

describe('ORCH-3028: model_state', () => {
  it('ORCH-3028: maps sidecar reports onto the spec states', () => {
    expect(modelStateOf({ ...replica, ready: true })).toBe('ready');
    expect(modelStateOf({ ...replica, reported: false })).toBe('loading');
    expect(modelStateOf({ ...replica, unreadyReason: 'draining' })).toBe('draining');
    expect(modelStateOf({ ...replica, unreadyReason: 'self-test pending' })).toBe('self_test');
    expect(modelStateOf({ ...replica, unreadyReason: 'engine down' })).toBe('unready');
  });

  it('ORCH-3028: exactly one state is 1 per replica, and a gone replica leaves no series', async () => {
    const metrics = createMetrics();
    mirrorModelStates(metrics, [{ ...replica, ready: true }]);
    let text = await metrics.registry.getSingleMetricAsString('model_state');
    const ones = text.split('\n').filter((l) => l.startsWith('model_state{') && l.endsWith(' 1'));
    expect(ones).toHaveLength(1);
    expect(ones[0]).toContain('state="ready"');
    expect(text.split('\n').filter((l) => l.startsWith('model_state{'))).toHaveLength(6);
    mirrorModelStates(metrics, []);
    text = await metrics.registry.getSingleMetricAsString('model_state');
    expect(text).not.toContain('model_state{');
  });
});
