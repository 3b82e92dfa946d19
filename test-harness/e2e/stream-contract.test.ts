// E2E through real Envoy, placement, a supervised sidecar and llama-server with the real model
// (CPU carve-out, ORCH-1101): the happy path's wire contract, determinism of seeds, the routing
// header and lease guards, and exact token metrics. One stack for the whole file.
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResponse, validateSseTranscript } from '@llama-orch/contracts';
import { injectSeed } from '@llama-orch/core';
import type { Stack } from '../src/stack/index.js';
import { startStack } from '../src/stack/index.js';
import {
  cancel,
  getJson,
  run,
  submit,
  taskBody,
  terminal,
  tokenCount,
  tokenText,
  waitFor,
} from './helpers/client.js';
import type { StreamResult } from './helpers/client.js';
import { has, scrape, total } from './helpers/metrics.js';
import type { Sample } from './helpers/metrics.js';

const MAX_TOKENS = 6;

describe('ORCH-4001: E2E stream contract through Envoy (real llama-server, CPU carve-out)', () => {
  let stack: Stack;
  let baseline: Sample[];
  // Every stream this file reads through Envoy, for the exact metrics check at the end.
  const streams: StreamResult[] = [];
  let admitted = 0;

  beforeAll(async () => {
    stack = await startStack();
    baseline = (await scrape(stack.url)).samples;
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  async function streamed(
    overrides: Parameters<typeof taskBody>[0] = {},
    headers: Record<string, string> = {},
  ): Promise<Awaited<ReturnType<typeof run>>> {
    const body = taskBody({ max_tokens: MAX_TOKENS, ...overrides });
    const r = await run(stack.url, body, { headers, timeoutMs: 90_000 });
    admitted += 1;
    streams.push(r.stream);
    return r;
  }

  it('ORCH-2001/ORCH-2002/ORCH-2027/ORCH-2029/ORCH-2052: submit → 202, stream matches the SSE contract', async () => {
    const cid = `e2e-${randomUUID()}`;
    const { admission, stream } = await streamed({ seed: 11 }, { 'x-correlation-id': cid });

    const adm = validateResponse('createTask', 202, admission.body, admission.headers);
    expect(adm.issues).toEqual([]);
    expect(admission.headers['x-correlation-id']).toBe(cid);

    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['x-correlation-id']).toBe(cid);
    // Envoy answered (ORCH-4001), the sidecar wrote the stream.
    expect(stream.headers.server).toBe('envoy');

    const transcript = validateSseTranscript(stream.raw);
    expect(transcript.issues).toEqual([]);
    const names = stream.events.map((e) => e.event);
    expect(names[0]).toBe('started');
    expect(names.at(-1)).toBe('end');
    const end = terminal(stream.events);
    expect(end?.event).toBe('end');
    const tokens = tokenCount(stream.events);
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThanOrEqual(MAX_TOKENS);
    expect(end?.data.tokens_out).toBe(tokens);
    expect(['stop', 'length']).toContain(end?.data.reason);
    if (tokens === MAX_TOKENS) expect(end?.data.reason).toBe('length');
  }, 120_000);

  it('ORCH-3045/ORCH-3050: the same explicit seed on two task ids gives byte-identical token text', async () => {
    const a = await streamed({ seed: 4242 });
    const b = await streamed({ seed: 4242 });
    expect(a.admission.body).not.toEqual(b.admission.body);
    const textA = tokenText(a.stream.events);
    expect(textA.length).toBeGreaterThan(0);
    expect(tokenText(b.stream.events)).toBe(textA);
    // The seed matters at all (v1 samples at temperature 0.8): a different seed is a control.
    const c = await streamed({ seed: 7 });
    expect(validateSseTranscript(c.stream.raw).issues).toEqual([]);
  }, 180_000);

  it('ORCH-3091: an omitted seed is injectSeed(task_id): same text as an explicit run with that seed', async () => {
    const taskId = randomUUID();
    const derived = await streamed({ task_id: taskId });
    const explicit = await streamed({ seed: injectSeed(taskId) });
    const text = tokenText(derived.stream.events);
    expect(text.length).toBeGreaterThan(0);
    expect(tokenText(explicit.stream.events)).toBe(text);
    // A task id is single-use (ORCH-3024): replaying it is refused, so the derivation is the
    // only way the "same task_id" can run twice — and it is stable across calls.
    const dup = await submit(stack.url, taskBody({ task_id: taskId, max_tokens: MAX_TOKENS }));
    expect(dup.status).toBe(400);
    expect(injectSeed(taskId)).toBe(injectSeed(taskId));
  }, 180_000);

  describe('ORCH-4003: routing header', () => {
    let decoy: Server;
    let decoyHits = 0;

    beforeAll(async () => {
      decoy = createServer((_req, res) => {
        decoyHits += 1;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('event: end\ndata: {"tokens_out":0,"decode_time_ms":0,"reason":"stop"}\n\n');
      });
      await new Promise<void>((r) => decoy.listen(0, '127.0.0.1', r));
    });

    afterAll(async () => {
      await new Promise((r) => decoy.close(r));
    });

    it('ORCH-4003: a client-supplied x-gateway-destination-endpoint is ignored; placement routes', async () => {
      const addr = decoy.address();
      if (addr === null || typeof addr === 'string') throw new Error('no decoy port');
      const { stream } = await streamed(
        { seed: 5 },
        { 'x-gateway-destination-endpoint': `127.0.0.1:${addr.port}`, 'x-orch-lease-id': 'forged' },
      );
      expect(validateSseTranscript(stream.raw).issues).toEqual([]);
      expect(tokenCount(stream.events)).toBeGreaterThan(0);
      expect(decoyHits).toBe(0);
    }, 120_000);
  });

  it('ORCH-4012: a stream request straight to the sidecar without a valid lease is 403 LEASE_INVALID', async () => {
    // An admitted, still-queued task: the sidecar must refuse it without the lease placement issues.
    const body = taskBody({ max_tokens: MAX_TOKENS });
    expect((await submit(stack.url, body)).status).toBe(202);
    const direct = `${stack.sidecarUrl(0)}/v1/tasks/${body.task_id}/stream`;
    const cases: Record<string, string>[] = [{}, { 'x-orch-lease-id': randomUUID() }];
    for (const headers of cases) {
      const res = await getJson(direct, headers);
      expect(res.status).toBe(403);
      expect(validateResponse('streamTask', 403, res.body, res.headers).issues).toEqual([]);
      expect((res.body as { code?: string }).code).toBe('LEASE_INVALID');
      expect(res.headers['x-correlation-id']).toBeTruthy();
    }
    expect((await cancel(stack.url, body.task_id)).status).toBe(204);
  }, 60_000);

  it('ORCH-3028/ORCH-4015: /metrics through Envoy has the slice families; tokens_out_total equals token events seen', async () => {
    const seen = streams.reduce((n, s) => n + tokenCount(s.events), 0);
    expect(seen).toBeGreaterThan(0);
    const base = (name: string, match: Record<string, string> = {}): number =>
      total(baseline, name, match);
    // Lease outcomes arrive over the control stream after the stream ends: poll, bounded.
    const after = await waitFor(
      async () => {
        const { samples } = await scrape(stack.url);
        return total(samples, 'tokens_out_total') - base('tokens_out_total') >= seen
          ? samples
          : undefined;
      },
      'tokens_out_total to catch up with the streams',
      15_000,
      250,
    ).catch(async () => (await scrape(stack.url)).samples);
    for (const family of [
      'tasks_enqueued_total',
      'tasks_started_total',
      'tasks_canceled_total',
      'tasks_rejected_total',
      'queue_depth',
      'tokens_in_total',
      'tokens_out_total',
      'latency_first_token_ms_bucket',
    ]) {
      expect(has(after, family), family).toBe(true);
    }
    expect(total(after, 'tokens_out_total') - base('tokens_out_total')).toBe(seen);
    expect(total(after, 'tasks_started_total') - base('tasks_started_total')).toBe(admitted);
    // admitted streams + the one canceled while queued above.
    expect(total(after, 'tasks_enqueued_total') - base('tasks_enqueued_total')).toBe(admitted + 1);
    expect(total(after, 'tasks_canceled_total', { reason: 'client' })).toBeGreaterThanOrEqual(1);
    expect(total(after, 'tokens_in_total') - base('tokens_in_total')).toBeGreaterThan(0);
    // The duplicate task id above was refused at admission.
    const dupReason = { reason: 'INVALID_PARAMS' };
    expect(
      total(after, 'tasks_rejected_total', dupReason) - base('tasks_rejected_total', dupReason),
    ).toBe(1);
    expect(
      total(after, 'latency_first_token_ms_count') - base('latency_first_token_ms_count'),
    ).toBe(admitted);
  }, 60_000);
});
