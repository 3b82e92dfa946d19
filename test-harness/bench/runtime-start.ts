// Start time and idle memory of placement and a sidecar under each runtime: `tsx` (the TypeScript
// compiled at every start) and `node` (the bundles tools/build-runtime.mjs builds, which npm run
// up, the images and the manifests run). A bench, not a test: it reports figures.
//   npx tsx test-harness/bench/runtime-start.ts [--rounds 3] [--idle-ms 10000]
// Each round starts placement (free ports, the local CPU config), then one sidecar supervising
// llama-server with SmolLM2-135M, in both runtimes alternately. Start time: spawn until placement
// answers GET /v1/capabilities, and spawn until the sidecar answers /healthz (any status: its HTTP
// is up; the engine's model load is the same in both and not counted). Idle RSS: VmRSS of each
// process (the sidecar without its llama-server) after the replica is Ready and --idle-ms passed.
// Output: a table on stdout and .artifacts/bench/runtime-start.json.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Supervisor, freePorts, loadToolchain, waitForHttp } from '@llama-orch/tools';
import { percentile } from './stats.js';
import { REPO_ROOT, gatewaySpec, sidecarSpec, type StackRuntime } from '../src/stack/services.js';
import { buildStackConfig, renderStackConfig, type StackPorts } from '../src/stack/stack-config.js';
import { waitForReadyReplicas } from '../src/stack/readiness.js';

interface Sample {
  runtime: StackRuntime;
  placementStartMs: number;
  sidecarStartMs: number;
  /** CPU time (user + system) the process used until it answered: load-independent start cost. */
  placementStartCpuMs: number;
  sidecarStartCpuMs: number;
  placementRssMb: number;
  sidecarRssMb: number;
}

/** utime + stime of a process so far, in ms (/proc/<pid>/stat fields 14 and 15, 100 Hz ticks). */
const cpuMs = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
};

async function round(runtime: StackRuntime, idleMs: number): Promise<Sample> {
  const toolchain = await loadToolchain({ verifyModel: false });
  const p = await freePorts(7);
  const ports: StackPorts = {
    envoy: p[0] as number,
    envoyAdmin: p[1] as number,
    rest: p[2] as number,
    extProc: p[3] as number,
    control: p[4] as number,
    sidecars: [p[5] as number],
    engines: [p[6] as number],
  };
  const model = toolchain.model;
  const config = buildStackConfig({
    ports,
    replicas: 1,
    model: { ref: model.name, promptFormat: 'raw' },
    modelDigest: model.digest,
    modelPath: model.path,
  });
  const pool = config.pools[0];
  if (!pool) throw new Error('no pool');
  const dir = mkdtempSync(join(tmpdir(), 'runtime-start-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, renderStackConfig(config));
  const sup = new Supervisor({ write: () => undefined });
  try {
    const t0 = performance.now();
    const placement = sup.start(gatewaySpec(configPath, 'warn', runtime));
    const restUrl = `http://127.0.0.1:${ports.rest}`;
    await waitForHttp(`${restUrl}/v1/capabilities`, { timeoutMs: 60_000, intervalMs: 20 });
    const placementStartMs = performance.now() - t0;
    const placementStartCpuMs = cpuMs(placement.pid);
    const t1 = performance.now();
    const sidecar = sup.start(
      sidecarSpec({
        index: 0,
        poolId: pool.id,
        modelRef: pool.model_ref,
        ports,
        toolchain,
        model: { path: model.path, sha256: model.sha256 },
        threads: 1,
        ctx: pool.ctx_max,
        samplerProfile: pool.sampler_profile_version,
        runtime,
      }),
    );
    // Any answer means the sidecar's HTTP is up (503 until its engine is Ready).
    const healthz = `http://127.0.0.1:${ports.sidecars[0]}/healthz`;
    const deadline = performance.now() + 60_000;
    for (;;) {
      const ok = await fetch(healthz).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (performance.now() > deadline) throw new Error(`${healthz} never answered`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const sidecarStartMs = performance.now() - t1;
    const sidecarStartCpuMs = cpuMs(sidecar.pid);
    await waitForReadyReplicas(restUrl, pool.id, 1, { timeoutMs: 180_000 });
    await new Promise((r) => setTimeout(r, idleMs));
    return {
      runtime,
      placementStartMs,
      sidecarStartMs,
      placementStartCpuMs,
      sidecarStartCpuMs,
      placementRssMb: rssMb(placement.pid),
      sidecarRssMb: rssMb(sidecar.pid),
    };
  } finally {
    await sup.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      'idle-ms': { type: 'string', default: '10000' },
    },
  });
  const rounds = Number(values.rounds);
  const idleMs = Number(values['idle-ms']);
  const samples: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const runtime of ['tsx', 'node'] as const) {
      const s = await round(runtime, idleMs);
      process.stderr.write(`round ${i + 1} ${JSON.stringify(s)}\n`);
      samples.push(s);
    }
  }
  const rows = (['tsx', 'node'] as const).map((runtime) => {
    const mine = samples.filter((s) => s.runtime === runtime);
    const med = (k: keyof Omit<Sample, 'runtime'>): number =>
      percentile(
        mine.map((s) => s[k]),
        50,
      );
    return {
      runtime,
      placementStartMs: med('placementStartMs'),
      sidecarStartMs: med('sidecarStartMs'),
      placementStartCpuMs: med('placementStartCpuMs'),
      sidecarStartCpuMs: med('sidecarStartCpuMs'),
      placementRssMb: med('placementRssMb'),
      sidecarRssMb: med('sidecarRssMb'),
    };
  });
  const cols = [
    ['placement start (wall)', (r: (typeof rows)[number]) => `${r.placementStartMs.toFixed(0)} ms`],
    [
      'placement start (CPU)',
      (r: (typeof rows)[number]) => `${r.placementStartCpuMs.toFixed(0)} ms`,
    ],
    ['sidecar start (wall)', (r: (typeof rows)[number]) => `${r.sidecarStartMs.toFixed(0)} ms`],
    ['sidecar start (CPU)', (r: (typeof rows)[number]) => `${r.sidecarStartCpuMs.toFixed(0)} ms`],
    ['placement idle RSS', (r: (typeof rows)[number]) => `${r.placementRssMb.toFixed(0)} MB`],
    ['sidecar idle RSS', (r: (typeof rows)[number]) => `${r.sidecarRssMb.toFixed(0)} MB`],
  ] as const;
  process.stdout.write(`median of ${rounds} rounds | ${rows.map((r) => r.runtime).join(' | ')}\n`);
  for (const [label, cell] of cols) {
    process.stdout.write(`${label.padEnd(24)} | ${rows.map(cell).join(' | ')}\n`);
  }
  const out = join(REPO_ROOT, '.artifacts', 'bench');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'runtime-start.json'), JSON.stringify({ rows, samples }, null, 2));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`runtime-start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
