// Smoke: llama-server built from the node-llama-cpp bundle runs the real model with the replica
// flags (ORCH-5001), reports its engine version (ORCH-3032) and counts tokens in /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupervisedChild, Toolchain } from '@llama-orch/tools';
import {
  Supervisor,
  freePort,
  llamaServerArgs,
  loadToolchain,
  probeLlamaFlags,
  waitForHttp,
} from '@llama-orch/tools';

async function tokensPredicted(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^llamacpp:tokens_predicted_total\s+([0-9.e+]+)/m.exec(text);
  if (m?.[1] === undefined)
    throw new Error(`no llamacpp:tokens_predicted_total in /metrics:\n${text}`);
  return Number(m[1]);
}

describe('ORCH-5001: llama-server with the SmolLM2 model (CPU carve-out, ORCH-1101)', () => {
  let tc: Toolchain;
  let base: string;
  let child: SupervisedChild;
  let args: string[];
  const sup = new Supervisor({ graceMs: 3_000, write: () => undefined });

  beforeAll(async () => {
    tc = await loadToolchain({ verifyModel: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const built = llamaServerArgs(
      { modelPath: tc.model.path, port },
      await probeLlamaFlags(tc.llamaServer.bin),
    );
    args = built.args;
    child = sup.start({ name: 'llama-server', cmd: tc.llamaServer.bin, args });
    const died = child.exited.then((e) => `exited ${e.code}: ${child.tail().join('\n')}`);
    await waitForHttp(`${base}/health`, { timeoutMs: 120_000, abortOn: died });
  }, 150_000);

  afterAll(async () => {
    await sup.stopAll();
    expect(child.isRunning()).toBe(false);
  }, 20_000);

  it('ORCH-5001: starts with --metrics -np 1 --no-cont-batching --no-webui and /health is 200', async () => {
    for (const f of ['--metrics', '--no-cont-batching', '--no-webui']) expect(args).toContain(f);
    expect(args[args.indexOf('-np') + 1]).toBe('1');
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('ORCH-3032: /props build_info equals the engine version recorded by the bootstrap', async () => {
    const props = (await (await fetch(`${base}/props`)).json()) as {
      build_info: string;
      total_slots: number;
    };
    expect(props.build_info).toBe(tc.llamaServer.buildInfo);
    expect(tc.llamaServer.commit.startsWith(props.build_info.split('-')[1] ?? '?')).toBe(true);
    expect(props.total_slots).toBe(1);
  });

  it('ORCH-5001: a short completion returns text and llamacpp:tokens_predicted_total increases', async () => {
    const before = await tokensPredicted(base);
    const res = await fetch(`${base}/completion`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: 'The capital of France is',
        n_predict: 8,
        seed: 42,
        temperature: 0,
        cache_prompt: false,
        id_slot: 0,
      }),
      signal: AbortSignal.timeout(60_000),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { content: string; tokens_predicted: number };
    expect(body.content.trim().length).toBeGreaterThan(0);
    expect(body.tokens_predicted).toBeGreaterThan(0);
    const after = await tokensPredicted(base);
    expect(after - before).toBe(body.tokens_predicted);
  }, 90_000);
});
