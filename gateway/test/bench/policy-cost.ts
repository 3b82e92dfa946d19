// Per-decision cost of placement profiles (ORCH-3133): the built-in default profile, the
// prefix-cache profile and the WASI sample policy (compiled from tools/policy-sdk), each scoring
// the same 16 candidates through core's place(). Wall time per decision on this machine's clock,
// after a warm-up; prints p50/p99 and returns them for the placement bench's table.
import { BUILTIN_PLUGINS, defaultProfile, place } from '@llama-orch/core';
import type { Candidate, PlacementContext, PlacementProfile } from '@llama-orch/core';
import { compilePolicy } from '@llama-orch/tools';
import { PolicyHost } from '../../src/policy/host.js';
import { policyScorer } from '../../src/policy/plugin.js';

interface CostRow {
  profile: string;
  p50Us: number;
  p99Us: number;
  decisions: number;
}

function percentile(values: number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length, Math.max(1, Math.ceil((p / 100) * v.length))) - 1] as number;
}

async function policyCost(decisions = 20_000): Promise<CostRow[]> {
  const weights = { leastLoad: 1, sessionAffinity: 2, kvHeadroom: 0.25 };
  const builtin = defaultProfile(weights);
  const prefix: PlacementProfile = {
    ...builtin,
    name: 'prefix-cache',
    scorers: [
      { scorer: BUILTIN_PLUGINS['prefix-cache']?.create({}) as never, weight: 2 },
      ...builtin.scorers,
    ],
  };
  let disabled = '';
  const host = new PolicyHost(await compilePolicy('sample'), {
    onDisabled: (reason, detail) => {
      disabled = `${reason}: ${detail}`;
    },
  });
  const wasm: PlacementProfile = {
    ...builtin,
    name: 'wasm-policy (sample)',
    scorers: [{ scorer: policyScorer(host), weight: 1 }],
  };
  const candidates: Candidate[] = Array.from({ length: 16 }, (_, i) => ({
    replicaId: `r${String(i).padStart(2, '0')}`,
    poolId: 'p',
    setKey: 'S',
    ready: true,
    eligible: true,
    freeSlots: 1 + (i % 4),
    slotsTotal: 4,
    load: (3 - (i % 4)) / 4,
    kvUsageRatio: (i % 7) / 7,
    queueDepth: i % 3,
  }));
  const prompt = 'You are a careful assistant. '.repeat(40);
  const rows: CostRow[] = [];
  for (const profile of [builtin, prefix, wasm]) {
    const samples: number[] = [];
    for (let i = 0; i < decisions + 2000; i++) {
      const ctx: PlacementContext = {
        taskId: `t${i}`,
        poolId: 'p',
        setKey: 'S',
        affinityReplicaId: i % 3 === 0 ? 'r05' : undefined,
        prompt: `${prompt}${i % 50}`,
        priority: 'interactive',
      };
      const t0 = performance.now();
      place(profile, ctx, candidates, builtin);
      const t1 = performance.now();
      if (i >= 2000) samples.push((t1 - t0) * 1000);
    }
    rows.push({
      profile: profile.name,
      p50Us: Math.round(percentile(samples, 50) * 10) / 10,
      p99Us: Math.round(percentile(samples, 99) * 10) / 10,
      decisions,
    });
  }
  if (disabled) throw new Error(`the sample policy was disabled during the bench: ${disabled}`);
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const rows = await policyCost();
  console.log(
    [
      '',
      'Per-decision cost: 16 candidates through core place(), wall clock on this machine.',
      '',
      '| profile | p50 µs | p99 µs | decisions |',
      '| --- | ---: | ---: | ---: |',
      ...rows.map((r) => `| ${r.profile} | ${r.p50Us} | ${r.p99Us} | ${r.decisions} |`),
    ].join('\n'),
  );
}
