// E2E ORCH-3031: a reload outlives a placement restart. Two supervised replicas on model A reload to
// model B; placement rewrites its config file (pool on B, A kept in models[]); placement is then
// stopped and started again on that same file, and the sidecars, which still serve B, reconnect to
// a pool that names B: every replica Ready on B's digest, tasks through Envoy finish, none fails.
import { loadConfig } from '@llama-orch/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, run, sleep, taskBody, terminal } from '../e2e/helpers/client.js';
import { startSimStack, type SimStack } from './sim-stack.js';

const REPLICAS = 2;
let stack: SimStack;
const t0 = Date.now();
const say = (m: string): void => {
  process.stdout.write(`[reload-persist +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
};

beforeAll(async () => {
  stack = await startSimStack({
    replicas: REPLICAS,
    supervised: { models: [{ ref: 'sim-a' }, { ref: 'sim-b' }] },
    log: say,
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

interface Health {
  model_ref?: string;
  last_error: unknown;
  replicas: { replica_id: string; ready: boolean; model_ref: string; model_digest: string }[];
  reload?: { state: string; error: unknown };
}

const health = async (): Promise<Health> =>
  (await getJson(`${stack.restUrl}/v1/pools/${stack.poolId}/health`)).body as Health;
const model = (ref: string): { ref: string; path: string; digest: string } => {
  const m = stack.models.find((x) => x.ref === ref);
  if (!m) throw new Error(`no model ${ref}`);
  return m;
};

async function until(what: string, pred: (h: Health) => boolean, ms = 30_000): Promise<Health> {
  const end = Date.now() + ms;
  for (;;) {
    const h = await health().catch(() => undefined);
    if (h && pred(h)) return h;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(h)}`);
    await sleep(100);
  }
}

const allOn = (h: Health, ref: string): boolean =>
  h.replicas.length === REPLICAS &&
  h.replicas.every((r) => r.ready && r.model_ref === ref && r.model_digest === model(ref).digest);

describe('ORCH-3031: the config file follows a successful reload', () => {
  it('ORCH-3031: reload to B rewrites the config; after a placement restart on it every replica is Ready on B and no task fails', async () => {
    await until('replicas Ready on sim-a', (h) => allOn(h, 'sim-a'));
    const res = await postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/reload`, {
      new_model_ref: 'sim-b',
      drain_deadline_ms: 5_000,
      replica_deadline_ms: 20_000,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const done = await until('reload finished', (h) => h.reload?.state !== 'running');
    expect(done.reload).toMatchObject({ state: 'succeeded', error: null });
    say('reload to sim-b succeeded');

    const config = loadConfig(stack.configPath);
    const pool = config.pools.find((p) => p.id === stack.poolId);
    const b = model('sim-b');
    expect(pool).toMatchObject({ model_ref: 'sim-b', model_digest: b.digest, model_path: b.path });
    // A stays a configured reload target.
    expect((config.models ?? []).map((m) => m.ref)).toContain('sim-a');

    await stack.restartPlacement();
    say('placement restarted on the rewritten config');
    const after = await until('replicas Ready on sim-b after restart', (h) => allOn(h, 'sim-b'));
    expect(after.model_ref).toBe('sim-b');
    expect(after.last_error).toBeNull();
    say('every replica Ready on sim-b');

    const failed: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await run(
        stack.url,
        taskBody({ model_ref: 'sim-b', max_tokens: 8, seed: i, prompt: `after restart ${i}` }),
        { timeoutMs: 20_000 },
      );
      const end = terminal(r.stream.events);
      const reason = (end?.data as { reason?: string } | undefined)?.reason;
      if (end?.event !== 'end' || !(reason === 'stop' || reason === 'length')) {
        failed.push(JSON.stringify(end));
      }
    }
    expect(failed).toEqual([]);
  }, 60_000);
});
