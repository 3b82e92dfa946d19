// Issue 19: an admitted spec keeps only its own fields; the shared ones live in one SpecShape, and a
// held prompt and correlation id stay with the caller until core needs them.
import { describe, expect, it } from 'vitest';
import { replica, scheduler, spec } from '../../test/fixtures.js';
import type { TaskText } from '../types.js';

describe('issue 19: admitted specs', () => {
  it('a spec reads as the plain spec it stands for, and tasks of one tenant and kind share one shape', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    for (const id of ['a', 'b']) {
      const r = sched.admit(spec(id, { prompt: `p-${id}`, correlation_id: `c-${id}` }), 'acme');
      expect(r.ok).toBe(true);
    }
    const a = sched.taskSpec('a')?.spec;
    const b = sched.taskSpec('b')?.spec;
    expect(JSON.parse(JSON.stringify(a))).toEqual({
      task_id: 'a',
      session_id: a?.session_id,
      tenant: 'acme',
      workload: 'completion',
      model_ref: a?.model_ref,
      engine: 'llamacpp',
      ctx: a?.ctx,
      priority: 'interactive',
      max_tokens: a?.max_tokens,
      deadline_ms: 0,
      seed: a?.seed,
      determinism: 'strict',
      sampler_profile_version: 'v1',
      prompt: 'p-a',
      correlation_id: 'c-a',
      prompt_format: 'raw',
    });
    expect([a?.prompt, b?.prompt, b?.tenant]).toEqual(['p-a', 'p-b', 'acme']);
    const shapeOf = (s: unknown): unknown => (s as { shape: unknown }).shape;
    expect(shapeOf(a)).toBe(shapeOf(b));
  });

  it('a held text is read from the caller at dispatch, never stored, and not read once the task ended', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    const texts = new Map<string, TaskText>([
      ['h', { prompt: 'held prompt', correlation_id: 'cid' }],
    ]);
    const reads: string[] = [];
    const heldText = (id: string): TaskText => {
      reads.push(id);
      return texts.get(id) ?? { prompt: '', correlation_id: '' };
    };
    const r = sched.admit(spec('h', { prompt: 'held prompt', correlation_id: 'cid' }), 'acme', {
      heldText,
    });
    expect(r.ok).toBe(true);
    // Core kept neither string: nothing of the text is in the record itself.
    expect(JSON.stringify(Object.values(sched.taskSpec('h')?.spec ?? {}))).not.toContain('held');
    expect(reads).toEqual([]);
    sched.attach('h');
    const d = sched.dispatch().dispatches[0];
    // Read once, for the dispatch's own copy (the default profile never reads the prompt).
    expect(reads).toEqual(['h']);
    expect([d?.task.prompt, d?.task.correlation_id, d?.task.tenant]).toEqual([
      'held prompt',
      'cid',
      'acme',
    ]);
    expect(reads).toEqual(['h']);
    sched.leaseFinished(d?.leaseId ?? '', { reason: 'stop', tokensIn: 2, tokensOut: 2 });
    reads.length = 0;
    const kept = sched.taskSpec('h')?.spec;
    expect([kept?.prompt, kept?.correlation_id, kept?.tenant]).toEqual(['', '', 'acme']);
    expect(reads).toEqual([]);
  });
});
