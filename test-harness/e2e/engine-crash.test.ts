// Chaos E2E (ORCH-2028, ORCH-3038): SIGKILL the real llama-server while it streams through Envoy.
// The open stream must end with a coded `error` event at once, the replica must turn unready in
// pool health, and the sidecar must bring the engine back (backoff restart, self-test) so the
// pool serves again. This file owns its own stack because it breaks the replica on purpose.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResponse, validateSseTranscript } from '@llama-orch/contracts';
import type { Stack } from '../src/stack/index.js';
import { startStack } from '../src/stack/index.js';
import {
  getJson,
  run,
  stream,
  submit,
  taskBody,
  terminal,
  tokenCount,
  waitFor,
} from './helpers/client.js';
import type { StreamResult } from './helpers/client.js';

interface ReplicaHealth {
  replica_id: string;
  ready: boolean;
  unready_reason?: string;
}

describe('ORCH-3038: engine crash mid-stream through Envoy (real llama-server, CPU carve-out)', () => {
  let stack: Stack;
  let crashed: StreamResult;
  let killedAt = Number.NaN;

  async function replica(): Promise<ReplicaHealth | undefined> {
    const res = await getJson(`${stack.url}/v1/pools/${stack.poolId}/health`);
    expect(res.status).toBe(200);
    const body = res.body as { replicas?: ReplicaHealth[] };
    return body.replicas?.find((r) => r.replica_id === stack.replicaId(0));
  }

  beforeAll(async () => {
    stack = await startStack();
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it('ORCH-2028/ORCH-4014: killing llama-server mid-stream → error{WORKER_RESET} within 1 s, stream ends', async () => {
    const body = taskBody({ max_tokens: 400, ctx: 1024, seed: 21 });
    expect((await submit(stack.url, body)).status).toBe(202);
    let killing: Promise<void> | undefined;
    crashed = await stream(stack.url, body.task_id, {
      // Bounded: a hung stream fails the test instead of hanging the suite.
      timeoutMs: 60_000,
      onEvent: (ev) => {
        if (killing || ev.event !== 'token') return;
        const t0 = performance.now();
        killing = stack.killEngine(0).then(() => {
          // Measured from when the kill was delivered (pkill returned), on the stream's clock.
          killedAt = ev.at + (performance.now() - t0);
        });
      },
    });
    await killing;
    expect(crashed.status).toBe(200);
    expect(validateSseTranscript(crashed.raw).issues).toEqual([]);
    const last = terminal(crashed.events);
    expect(last?.event).toBe('error');
    expect(last?.data.code).toBe('WORKER_RESET');
    expect(last?.data.engine).toBe('llamacpp');
    expect(crashed.events.at(-1)).toBe(last);
    expect(tokenCount(crashed.events)).toBeGreaterThan(0);
    expect(tokenCount(crashed.events)).toBeLessThan(400);
    expect(Number.isFinite(killedAt)).toBe(true);
    expect((last?.at ?? Infinity) - killedAt).toBeLessThan(1_000);
    // The response body closed right after the terminal event: the stream never hangs.
    expect(crashed.doneAt - (last?.at ?? 0)).toBeLessThan(1_000);
  }, 90_000);

  it('ORCH-3038/ORCH-4011/ORCH-2103: the replica turns unready in pool health', async () => {
    const unready = await waitFor(
      async () => {
        const r = await replica();
        return r && !r.ready ? r : undefined;
      },
      'replica unready after the engine crash',
      10_000,
      100,
    );
    expect(unready.ready).toBe(false);
    expect(unready.unready_reason ?? '').not.toBe('');
    const res = await getJson(`${stack.url}/v1/pools/${stack.poolId}/health`);
    expect(validateResponse('getPoolHealth', 200, res.body, res.headers).issues).toEqual([]);
  }, 30_000);

  it('ORCH-3038/ORCH-3049: the sidecar restarts the engine with backoff; the pool serves again', async () => {
    await waitFor(
      async () => ((await replica())?.ready ? true : undefined),
      'replica Ready again after the engine restart',
      120_000,
      500,
    );
    const { stream: again } = await run(stack.url, taskBody({ max_tokens: 4, seed: 21 }), {
      timeoutMs: 60_000,
    });
    expect(validateSseTranscript(again.raw).issues).toEqual([]);
    expect(terminal(again.events)?.event).toBe('end');
    expect(tokenCount(again.events)).toBeGreaterThan(0);
  }, 180_000);
});
