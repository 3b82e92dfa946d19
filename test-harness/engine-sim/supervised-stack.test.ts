// The supervised sim stack (issue 8): sidecars launch the llama-server shim on model files exactly
// as they launch llama-server, so the self-tests, strict determinism and the `models[]` catalog
// are the real ones. Tasks stream through Envoy; the replica set carries model A's digest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, taskBody } from '../e2e/helpers/client.js';
import { startSimStack, type SimStack } from './sim-stack.js';

let stack: SimStack;

beforeAll(async () => {
  const t0 = Date.now();
  stack = await startSimStack({
    replicas: 2,
    supervised: {
      models: [
        { ref: 'sim-a' },
        { ref: 'sim-b' },
        { ref: 'sim-bad', directives: ['no-decode'] },
        { ref: 'sim-corrupt', corruptDigest: true },
      ],
    },
    log: (m) =>
      process.stdout.write(`[supervised +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`),
  });
}, 240_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

interface ReplicaSet {
  model_digest: string;
  engine_version: string;
  replicas: unknown[];
}

describe('ORCH-3049: a supervised sim stack', () => {
  it('ORCH-3049/2104: two supervised replicas pass their self-tests and form one strict replica set on model A', async () => {
    expect(stack.models.map((m) => m.ref)).toEqual(['sim-a', 'sim-b', 'sim-bad', 'sim-corrupt']);
    expect(new Set(stack.models.map((m) => m.digest)).size).toBe(4);
    const res = await fetch(`${stack.restUrl}/v1/replicasets`);
    const sets = ((await res.json()) as { replica_sets: ReplicaSet[] }).replica_sets;
    expect(sets).toHaveLength(1);
    expect(sets[0]?.model_digest).toBe(stack.models[0]?.digest);
    expect(sets[0]?.engine_version.startsWith('sim-')).toBe(true);
    expect(sets[0]?.replicas).toHaveLength(2);
    const props = (await (await fetch(`${stack.engineUrl(0)}/props`)).json()) as {
      model_path: string;
    };
    expect(props.model_path).toBe(stack.models[0]?.path);
  });

  it('ORCH-4016: a strict task streams to the end through Envoy', async () => {
    const r = await run(
      stack.url,
      taskBody({ model_ref: 'sim-a', determinism: 'strict', max_tokens: 8, seed: 7, prompt: 'hi' }),
      { timeoutMs: 30_000 },
    );
    expect(r.stream.events.at(-1)?.event).toBe('end');
    expect(r.stream.events.filter((e) => e.event === 'token')).toHaveLength(8);
  });
});
