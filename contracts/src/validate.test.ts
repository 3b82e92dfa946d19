import { describe, expect, it } from 'vitest';
import {
  applyTaskDefaults,
  formatIssues,
  validateResponse,
  validateTaskRequest,
  warmValidators,
} from './validate.js';
import type { TaskRequest } from './types.js';

const good: TaskRequest = {
  task_id: '6f1c2b9e-1d2a-4c1e-9a51-3e0f5b7c9d10',
  session_id: '0b6c9a52-7d4f-4e8a-8f1e-2c3d4e5f6a7b',
  workload: 'completion',
  model_ref: 'm',
  engine: 'llamacpp',
  ctx: 512,
  priority: 'batch',
  max_tokens: 16,
  deadline_ms: 0,
  prompt: 'hello',
};

describe('ORCH-2001: validateTaskRequest', () => {
  it('ORCH-2001: accepts a minimal request and returns it typed', () => {
    const r = validateTaskRequest(good);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.engine).toBe('llamacpp');
  });

  it('ORCH-2001: names each bad field', () => {
    const r = validateTaskRequest({ ...good, priority: 'urgent', seed: -1, extra: 1 });
    expect(r.ok).toBe(false);
    expect(r.issues.map((i) => i.path).sort()).toEqual(['/extra', '/priority', '/seed']);
    expect(formatIssues(r.issues)).toContain('/priority:');
  });

  it('ORCH-2001: warmValidators compiles every hot-path schema without error', () => {
    expect(warmValidators()).toBe(12);
  });

  it('ORCH-2001: non-objects are rejected', () => {
    for (const v of [null, 'x', [], 3]) expect(validateTaskRequest(v).ok).toBe(false);
  });

  it('ORCH-3091: defaults fill sampler profile v1 and placement auto with fallback', () => {
    const d = applyTaskDefaults({ ...good, placement: { mode: 'prefer', prefer_pools: ['a'] } });
    expect(d.sampler_profile_version).toBe('v1');
    expect(d.determinism).toBe('best_effort');
    expect(d.placement).toEqual({ mode: 'prefer', prefer_pools: ['a'], allow_fallback: true });
    expect(validateTaskRequest(d).ok).toBe(true);
  });
});

describe('ORCH-2052: validateResponse checks status, headers and body', () => {
  const body = { task_id: good.task_id, queue_position: 0, predicted_start_ms: 0, backoff_ms: 0 };
  it('ORCH-2001: a correct 202 passes', () => {
    expect(validateResponse('createTask', 202, body, { 'X-Correlation-Id': 'c' }).issues).toEqual(
      [],
    );
  });
  it('ORCH-2052: a 202 without X-Correlation-Id fails', () => {
    const r = validateResponse('createTask', 202, body, {});
    expect(r.issues.map((i) => i.path)).toEqual(['/headers/x-correlation-id']);
  });
  it('ORCH-2007: a 429 without backoff headers fails', () => {
    const r = validateResponse(
      'createTask',
      429,
      {
        code: 'ADMISSION_REJECT',
        message: 'full',
        retriable: true,
        retry_after_ms: 5,
        policy_label: 'reject',
      },
      { 'x-correlation-id': 'c' },
    );
    expect(r.issues.map((i) => i.path).sort()).toEqual([
      '/headers/retry-after',
      '/headers/x-backoff-ms',
    ]);
  });
  it('ORCH-3044: undeclared status fails', () => {
    expect(validateResponse('cancelTask', 200, {}).ok).toBe(false);
  });
  it('ORCH-2103: control-plane bodies validate through cross-document refs', () => {
    const r = validateResponse('drainPool', 404, {
      code: 'NOT_FOUND',
      message: 'x',
      retriable: false,
    });
    expect(r.issues).toEqual([]);
  });
});
