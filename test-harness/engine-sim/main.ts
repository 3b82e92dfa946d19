// engine-sim CLI: one or more simulated engines in one process (cheap: 16 replicas on 2 cores).
//   npx tsx test-harness/engine-sim/main.ts --port 8200 [--replicas 16] [--seed 1]
//     [--startup-ms 0] [--slots 1] [--ctx 2048] [--itl-ms 12] [--prefill-ms-per-token 0.4]
//     [--prefill-overhead-ms 15] [--jitter 0.1] [--load-factor 2] [--version sim-0.1.0]
//     [--ignore-cancel] [--slow-tokens F] [--error-after N] [--disconnect-after N] [--hang-after N]
//     [--no-decode] [--telemetry missing|garbage|stalled] [--crash-on-request]
// Replica i listens on port+i (port 0: free ports). Faults can also be set at run time with
// POST /sim/faults; POST /sim/crash exits the process.
import { parseArgs } from 'node:util';
import type { SimFaults } from './config.js';
import { startEngineSim, type EngineSim } from './server.js';

const { values: v } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    replicas: { type: 'string' },
    seed: { type: 'string' },
    version: { type: 'string' },
    'startup-ms': { type: 'string' },
    slots: { type: 'string' },
    ctx: { type: 'string' },
    'itl-ms': { type: 'string' },
    'prefill-ms-per-token': { type: 'string' },
    'prefill-overhead-ms': { type: 'string' },
    jitter: { type: 'string' },
    'load-factor': { type: 'string' },
    'ignore-cancel': { type: 'boolean' },
    'slow-tokens': { type: 'string' },
    'error-after': { type: 'string' },
    'disconnect-after': { type: 'string' },
    'hang-after': { type: 'string' },
    'no-decode': { type: 'boolean' },
    telemetry: { type: 'string' },
    'crash-on-request': { type: 'boolean' },
  },
});

const n = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
const config = Object.fromEntries(
  Object.entries({
    seed: n(v.seed),
    version: v.version,
    startupMs: n(v['startup-ms']),
    slots: n(v.slots),
    ctx: n(v.ctx),
    itlMs: n(v['itl-ms']),
    prefillMsPerToken: n(v['prefill-ms-per-token']),
    prefillOverheadMs: n(v['prefill-overhead-ms']),
    jitter: n(v.jitter),
    loadFactor: n(v['load-factor']),
  }).filter(([, x]) => x !== undefined),
);
const faults: SimFaults = {};
if (v['ignore-cancel']) faults.ignoreCancel = true;
if (v['slow-tokens'] !== undefined) faults.slowTokens = Number(v['slow-tokens']);
if (v['error-after'] !== undefined)
  faults.errorMidStream = { afterTokens: Number(v['error-after']) };
if (v['disconnect-after'] !== undefined)
  faults.disconnect = { afterTokens: Number(v['disconnect-after']) };
if (v['hang-after'] !== undefined) faults.hang = { afterTokens: Number(v['hang-after']) };
if (v['no-decode']) faults.noDecode = true;
if (v.telemetry === 'missing' || v.telemetry === 'garbage' || v.telemetry === 'stalled')
  faults.telemetry = v.telemetry;
if (v['crash-on-request']) faults.crashOnRequest = true;

const base = Number(v.port ?? 0);
const replicas = Number(v.replicas ?? 1);
const sims: EngineSim[] = [];
for (let i = 0; i < replicas; i++) {
  const sim = await startEngineSim({
    config,
    faults,
    host: v.host ?? '127.0.0.1',
    port: base === 0 ? 0 : base + i,
    exitOnCrash: true,
  });
  sims.push(sim);
  process.stdout.write(`engine-sim ${i} listening on ${sim.url} (${sim.engine.config.version})\n`);
}
const stop = (): void => void Promise.all(sims.map((s) => s.close())).then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
