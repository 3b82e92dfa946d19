// Consumer pacts for the data plane orchctl uses (ORCH-3044): submit and its typed errors, the
// SSE stream, cancel, sessions and capabilities. Registered by pact-consumer.test.ts, which owns
// the one Pact writer for contracts/pacts/orchctl-llama-orch-gateway.json.
import { MatchersV3 } from '@pact-foundation/pact';
import type { PactV4 } from '@pact-foundation/pact';
import { expect, it } from 'vitest';
import {
  ENGINE,
  IDS,
  MODEL,
  SSE_EXAMPLE,
  SSE_REGEX,
  STANDBY_MODEL,
  STATES,
} from './pact-fixtures.js';
import { CORRELATION, JSON_TYPE, cli, envelope, sseBody } from './pact-support.js';

const { like, uuid, integer, eachLike, regex } = MatchersV3;

const model = { model_ref: MODEL, engine: ENGINE };

/** The body orchctl sends for `submit -m M --task-id ID --session S -n 8 --seed 7 PROMPT`. */
function taskBody(taskId: string, overrides: Record<string, unknown> = {}) {
  return {
    task_id: uuid(taskId),
    session_id: uuid(IDS.session),
    workload: 'completion',
    model_ref: like(MODEL),
    engine: ENGINE,
    ctx: integer(2048),
    priority: 'interactive',
    max_tokens: integer(8),
    deadline_ms: integer(0),
    seed: integer(7),
    prompt: like('The capital of France is'),
    ...overrides,
  };
}

function submitArgs(url: string, taskId: string, extra: string[] = []): string[] {
  return [
    'submit',
    '--url',
    url,
    '-m',
    MODEL,
    '--task-id',
    taskId,
    '--session',
    IDS.session,
  ].concat(['-n', '8', '--seed', '7', ...extra, 'The capital of France is']);
}

export function dataPlaneInteractions(pact: PactV4): void {
  it('ORCH-2001: submit → 202 AdmissionResponse, prints the task id', async () => {
    await pact
      .addInteraction()
      .given(STATES.ready, model)
      .uponReceiving('a task submission')
      .withRequest('POST', '/v1/tasks', (b) => b.jsonBody(taskBody(IDS.submitted)))
      .willRespondWith(202, (b) =>
        b.headers({ ...CORRELATION, ...JSON_TYPE }).jsonBody({
          task_id: uuid(IDS.submitted),
          queue_position: integer(0),
          predicted_start_ms: integer(0),
          backoff_ms: integer(0),
        }),
      )
      .executeTest(async (ms) => {
        const r = await cli(submitArgs(ms.url, IDS.submitted));
        expect(r).toMatchObject({ code: 0, out: `${IDS.submitted}\n` });
        expect(r.err).toContain('queued at position 0');
      });
  });

  it('ORCH-3014: ctx above every ctx_max → 400 INVALID_PARAMS, exit 4', async () => {
    await pact
      .addInteraction()
      .given(STATES.ready, model)
      .uponReceiving('a task submission whose ctx exceeds the pool ctx_max')
      .withRequest('POST', '/v1/tasks', (b) =>
        b.jsonBody(taskBody(IDS.rejected, { ctx: integer(1048576) })),
      )
      .willRespondWith(400, (b) =>
        b
          .headers({ ...CORRELATION, ...JSON_TYPE })
          .jsonBody(envelope('INVALID_PARAMS', 'ctx 1048576 exceeds ctx_max 2048', false)),
      )
      .executeTest(async (ms) => {
        const r = await cli(submitArgs(ms.url, IDS.rejected, ['--ctx', '1048576']));
        expect(r.code).toBe(4);
        expect(r.err).toContain('INVALID_PARAMS, HTTP 400');
      });
  });

  it('ORCH-2007: full interactive queue → 429 with Retry-After and X-Backoff-Ms, exit 6', async () => {
    await pact
      .addInteraction()
      .given(STATES.queueFull, model)
      .uponReceiving('a task submission while the interactive queue is full')
      .withRequest('POST', '/v1/tasks', (b) => b.jsonBody(taskBody(IDS.queueFull)))
      .willRespondWith(429, (b) =>
        b
          .headers({
            ...CORRELATION,
            ...JSON_TYPE,
            'Retry-After': regex('^\\d+$', '1'),
            'X-Backoff-Ms': regex('^\\d+$', '1000'),
          })
          .jsonBody(envelope('ADMISSION_REJECT', 'interactive queue is full', true, 1000)),
      )
      .executeTest(async (ms) => {
        const r = await cli(submitArgs(ms.url, IDS.queueFull));
        expect(r.code).toBe(6);
        expect(r.err).toContain('the queue is full (ADMISSION_REJECT, HTTP 429)');
        expect(r.err).toContain('retry in 1.0 s (Retry-After: 1 s, X-Backoff-Ms: 1000');
      });
  });

  it('ORCH-3018: model with no registered replica → 503 POOL_UNAVAILABLE, exit 7', async () => {
    await pact
      .addInteraction()
      .given(STATES.noReplica, { model_ref: STANDBY_MODEL, engine: ENGINE })
      .uponReceiving('a task submission for a model no replica serves')
      .withRequest('POST', '/v1/tasks', (b) =>
        b.jsonBody(taskBody(IDS.unavailable, { model_ref: like(STANDBY_MODEL) })),
      )
      .willRespondWith(503, (b) =>
        b.headers({ ...CORRELATION, ...JSON_TYPE }).jsonBody({
          code: 'POOL_UNAVAILABLE',
          message: like(`no replica registered for ${STANDBY_MODEL}`),
          retriable: true,
          retry_after_ms: integer(5000),
        }),
      )
      .executeTest(async (ms) => {
        const argv = submitArgs(ms.url, IDS.unavailable).map((a) =>
          a === MODEL ? STANDBY_MODEL : a,
        );
        const r = await cli(argv);
        expect(r.code).toBe(7);
        expect(r.err).toContain('retry in 5.0 s');
      });
  });

  it('ORCH-2002/2027: stream of a queued task → 200 text/event-stream, tokens on stdout', async () => {
    await pact
      .addInteraction()
      .given(STATES.taskQueued, {
        ...model,
        task_id: IDS.streamed,
        prompt: 'The capital of France is',
        seed: 7,
        max_tokens: 4,
      })
      .uponReceiving('the token stream of a queued task')
      .withRequest('GET', `/v1/tasks/${IDS.streamed}/stream`, (b) =>
        b.headers({ Accept: 'text/event-stream' }),
      )
      .willRespondWith(200, (b) => sseBody(b, SSE_EXAMPLE, SSE_REGEX))
      .executeTest(async (ms) => {
        const r = await cli(['stream', '--url', ms.url, IDS.streamed]);
        expect(r.code).toBe(0);
        expect(r.out).toBe(' Paris.\n');
        expect(r.err).toMatch(/^✓ 2 tokens · TTFT \d+ ms · decode 41 ms/);
      });
  });

  it('ORCH-4005: stream of an unknown task → 404 NOT_FOUND, exit 5', async () => {
    await pact
      .addInteraction()
      .uponReceiving('the token stream of an unknown task')
      .withRequest('GET', `/v1/tasks/${IDS.unknownTask}/stream`, (b) =>
        b.headers({ Accept: 'text/event-stream' }),
      )
      .willRespondWith(404, (b) =>
        // ext_proc's ImmediateResponse (through Envoy) sends the bare media type.
        b
          .headers({ 'Content-Type': 'application/json' })
          .jsonBody(envelope('NOT_FOUND', `unknown task`, false)),
      )
      .executeTest(async (ms) => {
        const r = await cli(['stream', '--url', ms.url, IDS.unknownTask]);
        expect(r.code).toBe(5);
        expect(r.err).toContain('not found (NOT_FOUND, HTTP 404)');
      });
  });

  it('ORCH-2003: cancel of a queued task → 204', async () => {
    await pact
      .addInteraction()
      .given(STATES.taskQueued, {
        ...model,
        task_id: IDS.canceled,
        prompt: 'Once upon a time',
        seed: 7,
        max_tokens: 4,
      })
      .uponReceiving('a cancel of a queued task')
      .withRequest('POST', `/v1/tasks/${IDS.canceled}/cancel`)
      .willRespondWith(204)
      .executeTest(async (ms) => {
        const r = await cli(['cancel', '--url', ms.url, IDS.canceled]);
        expect(r).toMatchObject({ code: 0, out: `canceled ${IDS.canceled}\n` });
      });
  });

  it('ORCH-2003: cancel of an unknown task → 404, exit 5', async () => {
    await pact
      .addInteraction()
      .uponReceiving('a cancel of an unknown task')
      .withRequest('POST', `/v1/tasks/${IDS.unknownTask}/cancel`)
      .willRespondWith(404, (b) =>
        b
          .headers({ ...CORRELATION, ...JSON_TYPE })
          .jsonBody(envelope('NOT_FOUND', `unknown task ${IDS.unknownTask}`, false)),
      )
      .executeTest(async (ms) => {
        expect((await cli(['cancel', '--url', ms.url, IDS.unknownTask])).code).toBe(5);
      });
  });

  it('ORCH-2004: session get → 200 SessionInfo', async () => {
    await pact
      .addInteraction()
      .given(STATES.sessionTurn, { ...model, session_id: IDS.session })
      .uponReceiving('a session lookup')
      .withRequest('GET', `/v1/sessions/${IDS.session}`)
      .willRespondWith(200, (b) =>
        b.headers({ ...CORRELATION, ...JSON_TYPE }).jsonBody({
          session_id: uuid(IDS.session),
          ttl_ms_remaining: integer(598000),
          turns: integer(1),
          kv_bytes: integer(0),
          kv_warmth: like(false),
        }),
      )
      .executeTest(async (ms) => {
        const r = await cli(['session', 'get', '--url', ms.url, IDS.session]);
        expect(r.code).toBe(0);
        expect(r.out).toContain('turns    1');
      });
  });

  it('ORCH-2004: session get of an unknown session → 404, exit 5', async () => {
    await pact
      .addInteraction()
      .uponReceiving('a lookup of an unknown session')
      .withRequest('GET', `/v1/sessions/${IDS.unknownSession}`)
      .willRespondWith(404, (b) =>
        b
          .headers({ ...CORRELATION, ...JSON_TYPE })
          .jsonBody(envelope('NOT_FOUND', `no session ${IDS.unknownSession}`, false)),
      )
      .executeTest(async (ms) => {
        expect((await cli(['session', 'get', '--url', ms.url, IDS.unknownSession])).code).toBe(5);
      });
  });

  it('ORCH-2005: session delete → 204', async () => {
    await pact
      .addInteraction()
      .given(STATES.sessionTurn, { ...model, session_id: IDS.sessionToDelete })
      .uponReceiving('a session deletion')
      .withRequest('DELETE', `/v1/sessions/${IDS.sessionToDelete}`)
      .willRespondWith(204)
      .executeTest(async (ms) => {
        const r = await cli(['session', 'delete', '--url', ms.url, IDS.sessionToDelete]);
        expect(r).toMatchObject({ code: 0, out: `deleted session ${IDS.sessionToDelete}\n` });
      });
  });

  it('ORCH-3095: capabilities → 200', async () => {
    await pact
      .addInteraction()
      .given(STATES.ready, model)
      .uponReceiving('a capabilities query')
      .withRequest('GET', '/v1/capabilities')
      .willRespondWith(200, (b) =>
        b.headers({ ...CORRELATION, ...JSON_TYPE }).jsonBody({
          api_version: like('1.0.0'),
          engines: eachLike({
            engine: ENGINE,
            engine_versions: eachLike('b1'),
            ctx_max: integer(2048),
            max_tokens: integer(2048),
            slots: integer(1),
            workloads: eachLike('completion'),
            limits: { queue_capacity: { interactive: integer(64), batch: integer(256) } },
            features: like([]),
          }),
        }),
      )
      .executeTest(async (ms) => {
        const r = await cli(['caps', '--url', ms.url]);
        expect(r.code).toBe(0);
        expect(r.out).toMatch(/^api 1\.0\.0\nllamacpp b1: ctx_max 2048/);
      });
  });
}
