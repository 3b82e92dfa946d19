// ORCH-3103/3105/3106: what the OpenAI placer turns a body and its headers into, with fakes for
// the task service and director (the real path is test-harness/e2e/openai-sdk.test.ts).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TaskSpecInput } from '@llama-orch/core';
import type { PlacementDecision, PlacementRequest, Placer } from '../extproc/handler.js';
import type { Director } from '../dispatch/director.js';
import type { TaskService } from '../services/tasks.js';
import type { ReplicaRegistry } from '../replicas/registry.js';
import { openAiPlacer } from './placer.js';

const routed: PlacementDecision = { kind: 'route', setHeaders: { 'x-orch-lease-id': 'L' } };

function setup(live: { modelRef: string; determinismStrict: boolean }[] = []) {
  const admitted: { spec: TaskSpecInput; tenant: string; api: string }[] = [];
  const rejected: string[] = [];
  const tasks = {
    admit: (spec: TaskSpecInput, tenant: string, _pinned: boolean, api: string) => {
      admitted.push({ spec, tenant, api });
      return { task_id: spec.task_id, queue_position: 0, predicted_start_ms: 0, backoff_ms: 0 };
    },
    countInvalidBody: (_b: unknown, e: { code: string }) => rejected.push(e.code),
  } as unknown as TaskService;
  const director = { holdAdmitted: () => Promise.resolve(routed) } as unknown as Director;
  const registry = {
    list: () => live.map((r) => ({ register: { ...r, engine: 'llamacpp' } })),
  } as unknown as ReplicaRegistry;
  const inner: Placer = { decide: () => Promise.resolve({ kind: 'route', setHeaders: {} }) };
  const placer = openAiPlacer(inner, {
    tasks,
    director,
    registry,
    pools: [{ modelRef: 'm', engine: 'llamacpp', ctxMax: 2048 }],
    log: pino({ level: 'silent' }),
  });
  return { placer, admitted, rejected };
}

const req = (
  body: unknown,
  headers: Record<string, string> = {},
  path = '/v1/chat/completions',
): PlacementRequest => ({
  method: 'POST',
  path,
  taskId: undefined,
  correlationId: 'c1',
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  tenant: 'acme',
});
const signal = new AbortController().signal;
const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

describe('ORCH-3103: OpenAI placer', () => {
  it('ORCH-3103: best effort only where no live replica of the model registered strict determinism', async () => {
    const determinism = async (live: { modelRef: string; determinismStrict: boolean }[]) => {
      const { placer, admitted } = setup(live);
      await placer.decide(req(chat), signal);
      return admitted[0]?.spec.determinism;
    };
    expect(await determinism([])).toBeUndefined(); // core's default: strict
    expect(await determinism([{ modelRef: 'm', determinismStrict: true }])).toBeUndefined();
    expect(
      await determinism([
        { modelRef: 'm', determinismStrict: false },
        { modelRef: 'm', determinismStrict: true },
      ]),
    ).toBeUndefined();
    expect(
      await determinism([
        { modelRef: 'm', determinismStrict: false },
        { modelRef: 'other', determinismStrict: true },
      ]),
    ).toBe('best_effort');
  });

  it('ORCH-3103/3105: body and headers become one task of the caller tenant, held like a stream', async () => {
    const { placer, admitted } = setup();
    const d = await placer.decide(
      req(
        { ...chat, max_completion_tokens: 9, max_tokens: 3, seed: 5 },
        {
          'x-orch-session-id': '0B6C9A52-7D4F-4E8A-8F1E-2C3D4E5F6A7B',
          'x-orch-priority': 'batch',
          'x-orch-deadline-ms': '30000',
        },
      ),
      signal,
    );
    expect(d).toEqual(routed);
    expect(admitted).toHaveLength(1);
    expect(admitted[0]).toMatchObject({ tenant: 'acme', api: 'openai' });
    expect(admitted[0]?.spec).toMatchObject({
      model_ref: 'm',
      engine: 'llamacpp',
      ctx: 2048,
      max_tokens: 9,
      seed: 5,
      priority: 'batch',
      deadline_ms: 30000,
      session_id: '0b6c9a52-7d4f-4e8a-8f1e-2c3d4e5f6a7b',
      prompt: 'hi',
      correlation_id: 'c1',
    });
  });

  it('ORCH-3105: no max_tokens → 256, no seed → none (placement hashes the task id)', async () => {
    const { placer, admitted } = setup();
    await placer.decide(req({ model: 'm', prompt: 'p' }, {}, '/v1/completions'), signal);
    expect(admitted[0]?.spec.max_tokens).toBe(256);
    expect(admitted[0]?.spec).not.toHaveProperty('seed');
    expect(admitted[0]?.spec.priority).toBe('interactive');
  });

  it('ORCH-3106: refusals before admission are OpenAI-shaped and counted', async () => {
    const { placer, admitted, rejected } = setup();
    const cases: [PlacementRequest, number, string, string | null][] = [
      [req({ ...chat, model: 'other' }), 404, 'NOT_FOUND', 'model'],
      [req({ ...chat, n: 3 }), 400, 'INVALID_PARAMS', 'n'],
      [req('{not json'), 400, 'INVALID_PARAMS', null],
      [req(chat, { 'x-orch-priority': 'urgent' }), 400, 'INVALID_PARAMS', 'x-orch-priority'],
      [req(chat, { 'x-orch-session-id': 'nope' }), 400, 'INVALID_PARAMS', 'x-orch-session-id'],
      [req(chat, { 'x-orch-deadline-ms': '-1' }), 400, 'INVALID_PARAMS', 'x-orch-deadline-ms'],
    ];
    for (const [r, status, code, param] of cases) {
      const d = await placer.decide(r, signal);
      expect(d.kind).toBe('respond');
      if (d.kind !== 'respond') continue;
      expect(d.status).toBe(status);
      expect(JSON.parse(d.body)).toMatchObject({ error: { code, param } });
    }
    expect(admitted).toHaveLength(0);
    expect(rejected).toHaveLength(cases.length);
  });

  it('ORCH-3104: every other request goes to the inner placer untouched', async () => {
    const { placer, admitted } = setup();
    await placer.decide({ ...req(chat), method: 'GET', path: '/v1/tasks/x/stream' }, signal);
    expect(admitted).toHaveLength(0);
  });
});
