// Sidecar process entry point: flags/env → startSidecar. Wiring only.
// Flags (env in brackets): --replica-id [SIDECAR_REPLICA_ID] --pool-id [SIDECAR_POOL_ID]
//   --port [SIDECAR_PORT, 8100] --host [SIDECAR_HOST] --placement [SIDECAR_PLACEMENT, 127.0.0.1:9003]
//   --engine [SIDECAR_ENGINE, llamacpp] --model-ref [SIDECAR_MODEL_REF]
//   supervised: --supervise [SIDECAR_SUPERVISE=1] --engine-binary --model-path --model-digest
//     --engine-port [8200] --ctx [2048] --threads [2] --batch [2048] --ubatch [512]
//     --devices [SIDECAR_DEVICES, e.g. cuda:0,cuda:1] --tensor-split [SIDECAR_TENSOR_SPLIT, e.g. 0.6,0.4]
//   external:   --engine-url [SIDECAR_ENGINE_URL] (--model-digest optional)
//     --engine-model [SIDECAR_ENGINE_MODEL] --engine-metrics-url [SIDECAR_ENGINE_METRICS_URL]
//     --engine-declare [SIDECAR_ENGINE_DECLARE, comma list, e.g. batch_invariant]
//   --strict/--no-strict [SIDECAR_DETERMINISM_STRICT] --sampler-profile [v1]
//   crash restarts (ORCH-3038/3053): --restart-initial-ms [1000] --restart-max-ms [30000]
//     --restart-max [5] --restart-window-ms [600000] (env SIDECAR_RESTART_INITIAL_MS, ...)
import { parseArgs } from 'node:util';
import { parseList } from './engine/device-mask.js';
import { startSidecar } from './sidecar.js';
import { startTracing } from './tracing.js';

const { values: v } = parseArgs({
  options: {
    'replica-id': { type: 'string' },
    'pool-id': { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'advertise-host': { type: 'string' },
    placement: { type: 'string' },
    engine: { type: 'string' },
    'model-ref': { type: 'string' },
    supervise: { type: 'boolean' },
    'engine-binary': { type: 'string' },
    'model-path': { type: 'string' },
    'model-digest': { type: 'string' },
    'engine-port': { type: 'string' },
    'engine-url': { type: 'string' },
    'engine-model': { type: 'string' },
    'engine-metrics-url': { type: 'string' },
    'engine-declare': { type: 'string' },
    ctx: { type: 'string' },
    threads: { type: 'string' },
    batch: { type: 'string' },
    ubatch: { type: 'string' },
    devices: { type: 'string' },
    'tensor-split': { type: 'string' },
    strict: { type: 'boolean' },
    'no-strict': { type: 'boolean' },
    'sampler-profile': { type: 'string' },
    'restart-initial-ms': { type: 'string' },
    'restart-max-ms': { type: 'string' },
    'restart-max': { type: 'string' },
    'restart-window-ms': { type: 'string' },
  },
});

const env = process.env;
const str = (flag: string | undefined, name: string, dflt?: string): string => {
  const val = flag ?? env[name] ?? dflt;
  if (val === undefined)
    throw new Error(
      `missing --${name
        .toLowerCase()
        .replace(/^sidecar_/, '')
        .replace(/_/g, '-')} / ${name}`,
    );
  return val;
};
const int = (flag: string | undefined, name: string, dflt: number): number =>
  Number(flag ?? env[name] ?? dflt);

const supervise = v.supervise ?? env.SIDECAR_SUPERVISE === '1';
// ORCH-3011/3012: the replica's device mask and split ratios (checked before the engine starts).
const devices = parseList(v.devices ?? env.SIDECAR_DEVICES);
const tensorSplit = parseList(v['tensor-split'] ?? env.SIDECAR_TENSOR_SPLIT).map(Number);
// Before the servers start, so their spans reach the SDK (OTEL_EXPORTER_OTLP_ENDPOINT enables it).
const tracing = startTracing(process.env, 'llama-orch-sidecar');
const handle = await startSidecar({
  replicaId: str(v['replica-id'], 'SIDECAR_REPLICA_ID'),
  poolId: str(v['pool-id'], 'SIDECAR_POOL_ID', 'default'),
  engine: str(v.engine, 'SIDECAR_ENGINE', 'llamacpp'),
  modelRef: str(v['model-ref'], 'SIDECAR_MODEL_REF'),
  host: str(v.host, 'SIDECAR_HOST', '127.0.0.1'),
  port: int(v.port, 'SIDECAR_PORT', 8100),
  advertiseHost: v['advertise-host'] ?? env.SIDECAR_ADVERTISE_HOST,
  placementAddress: str(v.placement, 'SIDECAR_PLACEMENT', '127.0.0.1:9003'),
  samplerProfile: str(v['sampler-profile'], 'SIDECAR_SAMPLER_PROFILE', 'v1'),
  restartPolicy: {
    initialBackoffMs: int(v['restart-initial-ms'], 'SIDECAR_RESTART_INITIAL_MS', 1000),
    maxBackoffMs: int(v['restart-max-ms'], 'SIDECAR_RESTART_MAX_MS', 30_000),
    maxRestarts: int(v['restart-max'], 'SIDECAR_RESTART_MAX', 5),
    windowMs: int(v['restart-window-ms'], 'SIDECAR_RESTART_WINDOW_MS', 600_000),
  },
  determinismStrict: v['no-strict'] ? false : (v.strict ?? env.SIDECAR_DETERMINISM_STRICT !== '0'),
  supervise: supervise
    ? {
        binary: str(v['engine-binary'], 'SIDECAR_ENGINE_BINARY'),
        modelPath: str(v['model-path'], 'SIDECAR_MODEL_PATH'),
        modelDigest: str(v['model-digest'], 'SIDECAR_MODEL_DIGEST'),
        port: int(v['engine-port'], 'SIDECAR_ENGINE_PORT', 8200),
        ctx: int(v.ctx, 'SIDECAR_CTX', 2048),
        threads: int(v.threads, 'SIDECAR_THREADS', 2),
        batch: int(v.batch, 'SIDECAR_BATCH', 2048),
        ubatch: int(v.ubatch, 'SIDECAR_UBATCH', 512),
        ...(devices.length > 0 ? { devices } : {}),
        ...(tensorSplit.length > 0 ? { tensorSplit } : {}),
      }
    : undefined,
  external: supervise
    ? undefined
    : {
        baseUrl: str(v['engine-url'], 'SIDECAR_ENGINE_URL', 'http://127.0.0.1:8200'),
        modelDigest: v['model-digest'] ?? env.SIDECAR_MODEL_DIGEST,
        adapter: {
          model: v['engine-model'] ?? env.SIDECAR_ENGINE_MODEL,
          metricsUrl: v['engine-metrics-url'] ?? env.SIDECAR_ENGINE_METRICS_URL,
          declared: (v['engine-declare'] ?? env.SIDECAR_ENGINE_DECLARE ?? '')
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        },
      },
});
const s = handle.status();
process.stdout.write(
  `sidecar listening on :${handle.port} engine=${s.engineVersion} digest=${s.modelDigest.slice(0, 12)} ` +
    `canary=${s.canaryHash.slice(0, 12)} ready=${String(s.ready)}${s.ready ? '' : ` (${s.reason})`}\n`,
);
const stop = (): void =>
  void handle
    .close()
    .then(() => tracing?.shutdown())
    .then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
