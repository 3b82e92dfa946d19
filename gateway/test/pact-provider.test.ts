// Provider verification (ORCH-3044): replays orchctl's consumer pacts (contracts/pacts/) against
// the REAL gateway through Envoy, with a real supervised sidecar + llama-server (CPU carve-out)
// for the stream. Provider states are set through the test-only hook (test/support/test-hooks.ts) on
// the gateway's loopback REST port; sessions come from a real turn through the public edge.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Verifier } from '@pact-foundation/pact';
import type { VerifierOptions } from '@pact-foundation/pact';
import { afterAll, beforeAll, describe, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACT = `${ROOT}contracts/pacts/orchctl-llama-orch-gateway.json`;
const HOOK = '/_test/provider-states';

interface StackInfo {
  url: string;
  restUrl: string;
  poolId: string;
}

type Params = Record<string, unknown>;

/** Starts test-harness/bdd/support/stack-process.ts and waits for its STACK line. */
function startStackProcess(): Promise<{ child: ChildProcess; info: StackInfo; log: () => string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test-harness/bdd/support/stack-process.ts', '--standby'],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-8000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`stack not ready in 380 s:\n${log}`)), 380_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stack process exited ${code}:\n${log}`));
    });
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('STACK '));
      if (!line) return;
      clearTimeout(timer);
      resolve({ child, info: JSON.parse(line.slice(6)) as StackInfo, log: () => log });
    });
  });
}

async function stopStackProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function hook(stack: StackInfo, body: object): Promise<Params> {
  const res = await fetch(stack.restUrl + HOOK, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Params;
  if (res.status !== 200)
    throw new Error(`hook ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function task(p: Params, overrides: Params = {}): Params {
  return {
    task_id: randomUUID(),
    session_id: randomUUID(),
    workload: 'completion',
    model_ref: p.model_ref,
    engine: p.engine,
    ctx: 512,
    priority: 'interactive',
    max_tokens: 4,
    deadline_ms: 0,
    prompt: 'Once upon a time',
    seed: 7,
    ...overrides,
  };
}

async function json(url: string): Promise<Params> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} → ${res.status}`);
  return (await res.json()) as Params;
}

/** One real turn through the edge, so the session exists in core (sessions need a finished turn). */
async function realTurn(stack: StackInfo, p: Params): Promise<void> {
  const t = task(p, { session_id: p.session_id, max_tokens: 2 });
  await hook(stack, { op: 'admit', task: t });
  const res = await fetch(`${stack.url}/v1/tasks/${String(t.task_id)}/stream`);
  const text = await res.text();
  if (res.status !== 200 || !text.includes('event: end')) {
    throw new Error(`session turn failed: ${res.status} ${text.slice(0, 300)}`);
  }
}

function stateHandlers(stack: StackInfo) {
  const reset = async (): Promise<undefined> => {
    await hook(stack, { op: 'reset' });
    return undefined;
  };
  return {
    'a Ready pool serves the model': async (p?: unknown) => {
      const params = (p ?? {}) as Params;
      const sets = (await json(`${stack.restUrl}/v1/replicasets`)) as {
        replica_sets: { model_ref: string; slots_total: number }[];
      };
      if (!sets.replica_sets.some((s) => s.model_ref === params.model_ref)) {
        throw new Error(`no replica set serves ${String(params.model_ref)}`);
      }
      return undefined;
    },
    'the interactive queue for the model is full': {
      setup: async (p?: unknown) => {
        const filled = await hook(stack, { op: 'fill-queue', template: task((p ?? {}) as Params) });
        if (filled.code !== 'ADMISSION_REJECT')
          throw new Error(`queue not full: ${JSON.stringify(filled)}`);
        return undefined;
      },
      teardown: reset,
    },
    'no replica serves the standby model': async () => {
      const health = (await json(`${stack.restUrl}/v1/pools/standby/health`)) as {
        metrics: { replicas_total: number };
      };
      if (health.metrics.replicas_total !== 0) throw new Error('standby pool has replicas');
      return undefined;
    },
    'a task is queued': {
      setup: async (p?: unknown) => {
        const params = (p ?? {}) as Params;
        const { model_ref, engine, task_id, prompt, seed, max_tokens } = params;
        await hook(stack, {
          op: 'admit',
          task: task({ model_ref, engine }, { task_id, prompt, seed, max_tokens }),
        });
        return undefined;
      },
      teardown: reset,
    },
    // Control-plane states go through the test hook too (its "pool" op), never the edge.
    'the standby pool is draining': async (p?: unknown) => {
      const pool = String(((p ?? {}) as Params).pool_id);
      await hook(stack, { op: 'pool', pool_id: pool, action: 'drain' });
      return undefined;
    },
    'the standby pool is not draining': async (p?: unknown) => {
      const pool = String(((p ?? {}) as Params).pool_id);
      await hook(stack, { op: 'pool', pool_id: pool, action: 'undrain' });
      return undefined;
    },
    'the standby pool exists': async (p?: unknown) => {
      const pool = String(((p ?? {}) as Params).pool_id);
      await json(`${stack.restUrl}/v1/pools/${pool}/health`);
      return undefined;
    },
    'a session has one finished turn': async (p?: unknown) => {
      await realTurn(stack, (p ?? {}) as Params);
      return undefined;
    },
  };
}

describe('ORCH-3044: gateway honours the orchctl consumer pacts (real gateway via Envoy)', () => {
  let child: ChildProcess | undefined;
  let stack: StackInfo;
  let log: () => string = () => '';

  beforeAll(async () => {
    // Iterating by hand: point at a stack-process that is already running.
    const running = process.env.ORCH_PACT_STACK;
    if (running) {
      stack = JSON.parse(running) as StackInfo;
      return;
    }
    const started = await startStackProcess();
    child = started.child;
    stack = started.info;
    log = started.log;
  }, 400_000);

  afterAll(async () => {
    await stopStackProcess(child);
  }, 30_000);

  it('ORCH-2001/2002/2003/2004/2005/2007/2101/2102: every interaction verifies', async () => {
    const verifier = new Verifier({
      provider: 'llama-orch-gateway',
      providerBaseUrl: stack.url,
      pactUrls: [PACT],
      // pact-js types stateHandlers as an intersection with message handlers, which rejects the
      // documented {setup, teardown} form it supports at run time.
      stateHandlers: stateHandlers(stack) as unknown as VerifierOptions['stateHandlers'],
      // No request filter: the verifier's proxy frames a body-less POST as an empty chunked body
      // with no Content-Type, which the gateway's cancel route must (and does) accept as is.
      logLevel: 'warn',
    });
    // Every interaction must pass (none is pending any more), or verifyProvider rejects.
    const verified = verifier.verifyProvider().catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- stack log ---\n${log()}`);
    });
    await verified;
  }, 180_000);
});
