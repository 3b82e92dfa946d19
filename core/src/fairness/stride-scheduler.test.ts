import { describe, expect, it } from 'vitest';
import { DeadlineRatio } from './deadline-ratio.js';
import { EwmaShare } from './ewma-share.js';
import { StrideScheduler } from './stride-scheduler.js';
import type { StrideFlow } from './stride-scheduler.js';

const flow = (tie: string, weight: number): StrideFlow => ({ tie, weight, pass: 0, stridePos: -1 });

describe('ORCH-3075: stride scheduler', () => {
  it('ORCH-3075: serves 8:1 weights in an 8:1 pattern with deterministic ties', () => {
    const s = new StrideScheduler<StrideFlow>();
    const i = flow('0', 8);
    const b = flow('1', 1);
    s.activate(i);
    s.activate(b);
    const order: string[] = [];
    for (let k = 0; k < 18; k++) {
      const f = s.peek() as StrideFlow;
      order.push(f.tie);
      s.charge(f);
    }
    expect(order.filter((x) => x === '1')).toHaveLength(2);
    expect(order.slice(0, 9).filter((x) => x === '1')).toHaveLength(1);
  });

  it('ORCH-3075: a flow that was idle rejoins at the current virtual time (no hoarded credit)', () => {
    const s = new StrideScheduler<StrideFlow>();
    const a = flow('a', 1);
    const b = flow('b', 1);
    s.activate(a);
    for (let k = 0; k < 10; k++) s.charge(a);
    s.activate(b);
    const order: string[] = [];
    for (let k = 0; k < 4; k++) {
      const f = s.peek() as StrideFlow;
      order.push(f.tie);
      s.charge(f);
    }
    expect(order.filter((x) => x === 'b').length).toBeLessThanOrEqual(3);
    expect(order).toContain('a');
  });
});

describe('ORCH-3077/ORCH-3081: share and deadline read models', () => {
  it('ORCH-3077: EWMA share decays lazily for members that were not served', () => {
    const s = new EwmaShare(0.5);
    s.record('batch', 'x');
    s.record('batch', 'y');
    expect(s.read('batch', 'x')).toBeCloseTo(0.25);
    expect(s.read('batch', 'y')).toBeCloseTo(0.5);
    expect(s.read('batch', 'z')).toBe(0);
  });

  it('ORCH-3081: deadlines_met_ratio counts only tasks with deadlines; 1 when none', () => {
    const d = new DeadlineRatio();
    expect(d.read('interactive').ratio).toBe(1);
    d.record('interactive', true);
    d.record('interactive', false);
    expect(d.read('interactive')).toEqual({ ratio: 0.5, met: 1, total: 2 });
  });
});
