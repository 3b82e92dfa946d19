// `npm run bench:placement` (part of `npm run bench`): the goodput-at-the-knee table of
// goodput.ts, printed as markdown and written to .artifacts/bench/placement.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { DEFAULT_GOODPUT, ENGINE_MODELS, PREFIX_PROFILE, knees } from './goodput.js';
import type { GoodputOptions, KneeRow, PolicyName, WorkloadName } from './goodput.js';

const workloads: WorkloadName[] = ['shared-prefix multi-turn', 'uniform'];
const policies: PolicyName[] = ['round-robin', 'default', 'prefix-cache'];
const t0 = performance.now();
const fmt = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
const o0 = DEFAULT_GOODPUT;
const lines = [
  `Placement goodput at the knee: ${o0.replicas} replicas, engine-sim prefix cache ` +
    `(${o0.cachePrompts} prompts per replica), tokenizer and timing, ${o0.maxTokens} tokens per ` +
    `task, ${o0.durationS} s virtual per rate, rates ${o0.rates.join('/')} tasks/s.`,
  `Path: core's Scheduler + profiles in a discrete-event loop (not through Envoy/sidecars/HTTP).`,
  `prefix-cache profile: ${PREFIX_PROFILE.map((p) => `${p.type} ${p.weight}`).join(', ')}.`,
  '',
  '| engine model | workload | TTFT SLO | policy | knee (offered/s) | goodput/s | × round-robin | × default | TTFT p50 | TTFT p99 | prompt tokens cached |',
  '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
const all: (KneeRow & { engine: string })[] = [];
for (const model of ENGINE_MODELS) {
  const o: GoodputOptions = { ...o0, ...model };
  const engine = `${o.engine}, ${o.slots} slots`;
  const rows: KneeRow[] = [];
  for (const w of workloads) for (const p of policies) rows.push(...knees(p, w, o));
  const sorted = [...rows].sort(
    (a, b) =>
      workloads.indexOf(a.workload) - workloads.indexOf(b.workload) ||
      b.sloMs - a.sloMs ||
      policies.indexOf(a.policy) - policies.indexOf(b.policy),
  );
  for (const r of sorted) {
    const of = (p: PolicyName): number =>
      rows.find((x) => x.workload === r.workload && x.sloMs === r.sloMs && x.policy === p)
        ?.goodput ?? Number.NaN;
    lines.push(
      `| ${engine} | ${r.workload} | ${r.sloMs} ms | ${r.policy} | ${r.kneeRate} | ` +
        `${fmt(r.goodput)} | ×${fmt(r.goodput / of('round-robin'), 2)} | ` +
        `×${fmt(r.goodput / of('default'), 2)} | ${fmt(r.ttftP50, 0)} ms | ` +
        `${fmt(r.ttftP99, 0)} ms | ${fmt(r.cachedShare * 100, 0)} % |`,
    );
    all.push({ ...r, engine });
  }
}
console.log(lines.join('\n'));
console.log(`\n(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
mkdirSync('.artifacts/bench', { recursive: true });
writeFileSync(
  '.artifacts/bench/placement.json',
  JSON.stringify({ options: o0, models: ENGINE_MODELS, rows: all }, null, 2),
);
