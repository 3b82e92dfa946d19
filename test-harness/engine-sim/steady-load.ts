// Shared pieces of the pool-lifecycle E2E tests (journey, canary, reload-persist): a step logger,
// the pool's health and per-replica start counts, and a steady load of tasks through Envoy.
import { getJson, run, taskBody, terminal } from '../e2e/helpers/client.js';
import type { SimStack } from './sim-stack.js';

/** `[name +1.2s] message` lines on stdout, so a slow step shows in the CI log. */
export function stepLogger(name: string): (msg: string) => void {
  const t0 = Date.now();
  return (msg) => {
    process.stdout.write(`[${name} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  };
}

/** GET /v1/pools/{id}/health of the stack's pool, typed by the caller's view of it. */
export async function poolHealth<T>(stack: SimStack): Promise<T> {
  return (await getJson(`${stack.restUrl}/v1/pools/${stack.poolId}/health`)).body as T;
}

export function modelDigest(stack: SimStack, ref: string): string {
  return stack.models.find((m) => m.ref === ref)?.digest ?? '';
}

/** tasks_started_total per replica, from placement's /metrics. */
export async function startedPerReplica(restUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${restUrl}/metrics`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^tasks_started_total\{[^}]*replica_id="([^"]+)"[^}]*\} (\d+)/.exec(line);
    if (m?.[1]) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}

/**
 * Steady load: `workers` clients each submitting and streaming one task after another through
 * Envoy, naming `modelRef` (tests switch it when the pool's model changes). A failure is any
 * non-202 admission or a stream that does not end with `end` (reason stop or length). Finished
 * tasks' session ids are kept in finishing order (the canary test checks their hash buckets).
 */
export class SteadyLoad {
  modelRef: string;
  readonly sessions: string[] = [];
  readonly failures: string[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[];

  constructor(
    private readonly url: string,
    workers: number,
    modelRef: string,
  ) {
    this.modelRef = modelRef;
    this.loops = Array.from({ length: workers }, (_, w) => this.loop(w));
  }

  get ok(): number {
    return this.sessions.length;
  }

  /** Counters so far, to diff around a step. */
  mark(): { ok: number; failed: number } {
    return { ok: this.ok, failed: this.failures.length };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async loop(w: number): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      const body = taskBody({
        model_ref: this.modelRef,
        determinism: 'best_effort',
        max_tokens: 8,
        seed: w * 10_000 + i,
        prompt: `Once upon a time, worker ${w} told story ${i}`,
      });
      try {
        const r = await run(this.url, body, { timeoutMs: 30_000 });
        const end = terminal(r.stream.events);
        const reason = (end?.data as { reason?: string } | undefined)?.reason;
        if (end?.event === 'end' && (reason === 'stop' || reason === 'length')) {
          this.sessions.push(body.session_id ?? '');
        } else this.failures.push(`${body.model_ref}: ${JSON.stringify(end)}`);
      } catch (err) {
        this.failures.push(
          `${body.model_ref}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }
}
