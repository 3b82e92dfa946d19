// `npm run bench:placement` (part of `npm run bench`): the goodput-at-the-knee table of
// goodput.ts, printed as markdown and written to .artifacts/bench/placement.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { DEFAULT_GOODPUT, PREFIX_PROFILE, knees } from './goodput.js';
import type { KneeRow, PolicyName, WorkloadName } from './goodput.js';

const workloads: WorkloadName[] = ['shared-prefix multi-turn', 'uniform'];
const policies: PolicyName[] = ['round-robin', 'default', 'prefix-cache'];
const o = DEFAULT_GOODPUT;
const t0 = performance.now();
const rows: KneeRow[] = [];
for (const w of workloads) for (const p of policies) rows.push(...knees(p, w, o));

const fmt = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
const lines = [
  `Placement goodput at the knee: ${o.replicas} replicas × ${o.slots} slots, engine-sim prefix ` +
    `cache (${o.cachePrompts} prompts per replica) and timing, ${o.maxTokens} tokens per task, ` +
    `${o.durationS} s virtual per rate, rates ${o.rates.join('/')} tasks/s.`,
  `Path: core's Scheduler + profiles in a discrete-event loop (not through Envoy/sidecars/HTTP).`,
  `prefix-cache profile: ${PREFIX_PROFILE.map((p) => `${p.type} ${p.weight}`).join(', ')}.`,
  '',
  '| workload | TTFT SLO | policy | knee (offered/s) | goodput/s | × round-robin | × default | TTFT p50 | TTFT p99 | prompt tokens cached |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const r of rows) {
  const of = (p: PolicyName): number =>
    rows.find((x) => x.workload === r.workload && x.sloMs === r.sloMs && x.policy === p)?.goodput ??
    Number.NaN;
  lines.push(
    `| ${r.workload} | ${r.sloMs} ms | ${r.policy} | ${r.kneeRate} | ${fmt(r.goodput)} | ` +
      `×${fmt(r.goodput / of('round-robin'), 2)} | ×${fmt(r.goodput / of('default'), 2)} | ` +
      `${fmt(r.ttftP50, 0)} ms | ${fmt(r.ttftP99, 0)} ms | ${fmt(r.cachedShare * 100, 0)} % |`,
  );
}
console.log(lines.join('\n'));
console.log(`\n(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
mkdirSync('.artifacts/bench', { recursive: true });
writeFileSync('.artifacts/bench/placement.json', JSON.stringify({ options: o, rows }, null, 2));
