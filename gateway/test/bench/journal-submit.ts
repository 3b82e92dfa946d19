// ORCH-4030: what the admission journal costs on submit latency. One real placement
// (startGateway) per mode with a fake sidecar registered over gRPC; POST /v1/tasks over loopback
// HTTP, one request in flight, warm-up first; p50/p99/mean of the client-side latency per mode:
// no journal, journal with synchronous=normal, journal with synchronous=full (the default).
//   npm run bench:journal [-- --n 2000 --warmup 200 --dir /var/tmp]
// Prints a table and writes .artifacts/bench/journal-submit.json. A bench, not a test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { startGateway } from '../../src/gateway.js';
import type { GatewayOptions } from '../../src/gateway.js';
import { TEST_SCHEDULER, MODEL_REF } from '../support/harness.js';
import { startFakeSidecar } from '../support/fake-sidecar.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    dir: { type: 'string', default: '/var/tmp' },
  },
});
const N = Number(values.n);
const WARMUP = Number(values.warmup);

type Mode = 'off' | 'normal' | 'full';

function pct(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function measure(mode: Mode, dir: string): Promise<number[]> {
  const journal: GatewayOptions['journal'] =
    mode === 'off' ? undefined : { path: join(dir, `journal-${mode}.sqlite`), synchronous: mode };
  const gateway = await startGateway({
    restPort: 0,
    extProcPort: 0,
    controlPort: 0,
    logger: 'silent',
    scheduler: {
      ...TEST_SCHEDULER,
      queues: { interactive: { capacity: 100_000 }, batch: { capacity: 100_000 } },
      attachTimeoutMs: 3_600_000,
    },
    ...(journal ? { journal } : {}),
  });
  const sidecar = await startFakeSidecar({
    controlPort: gateway.controlPort,
    replicaId: 'bench-r1',
    poolId: 'pool-a',
    modelRef: MODEL_REF,
  });
  try {
    const url = `http://127.0.0.1:${gateway.restPort}/v1/tasks`;
    // Wait until the replica is Ready (a submit answers 202).
    for (let i = 0; i < 100; i++) {
      if ((await submit(url)).status === 202) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const samples: number[] = [];
    for (let i = 0; i < WARMUP + N; i++) {
      const t0 = performance.now();
      const res = await submit(url);
      const dt = performance.now() - t0;
      if (res.status !== 202) throw new Error(`submit ${i} (${mode}): HTTP ${res.status}`);
      if (i >= WARMUP) samples.push(dt);
    }
    return samples;
  } finally {
    await sidecar.close();
    await gateway.close();
  }
}

async function submit(url: string): Promise<{ status: number }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      task_id: randomUUID(),
      session_id: randomUUID(),
      workload: 'completion',
      model_ref: MODEL_REF,
      engine: 'llamacpp',
      ctx: 2048,
      priority: 'batch',
      max_tokens: 16,
      deadline_ms: 0,
      prompt: 'The journal must keep this prompt until the task ends.',
    }),
  });
  await res.arrayBuffer();
  return { status: res.status };
}

const dir = mkdtempSync(join(values.dir, 'journal-bench-'));
try {
  const rows: { mode: Mode; n: number; p50_ms: number; p99_ms: number; mean_ms: number }[] = [];
  // Interleave two rounds per mode so drift (other load on the machine) hits every mode alike.
  const byMode = new Map<Mode, number[]>();
  for (const round of [1, 2]) {
    for (const mode of ['off', 'normal', 'full'] as const) {
      process.stderr.write(`round ${round}: ${mode}…\n`);
      byMode.set(mode, [...(byMode.get(mode) ?? []), ...(await measure(mode, dir))]);
    }
  }
  for (const [mode, samples] of byMode) {
    const sorted = [...samples].sort((a, b) => a - b);
    const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
    rows.push({
      mode,
      n: sorted.length,
      p50_ms: +pct(sorted, 50).toFixed(3),
      p99_ms: +pct(sorted, 99).toFixed(3),
      mean_ms: +mean.toFixed(3),
    });
  }
  const lines = [
    `POST /v1/tasks latency, ${N} per mode per round × 2 rounds, 1 in flight, journal in ${values.dir}`,
    'mode            n     p50 ms   p99 ms   mean ms',
    ...rows.map(
      (r) =>
        `${`journal ${r.mode}`.padEnd(14)} ${String(r.n).padStart(5)} ${r.p50_ms.toFixed(3).padStart(8)} ${r.p99_ms.toFixed(3).padStart(8)} ${r.mean_ms.toFixed(3).padStart(9)}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync('.artifacts/bench', { recursive: true });
  writeFileSync(
    '.artifacts/bench/journal-submit.json',
    `${JSON.stringify({ n: N, warmup: WARMUP, dir: values.dir, rows }, null, 2)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
