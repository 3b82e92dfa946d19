// Sidecar process entry point: flags/env → startSidecar. Wiring only. Every flag, its env variable
// and default live in flags.ts (ORCH-3115): `--help` prints them, a bad value stops the start.
import { controlTlsFrom } from './control/control-tls.js';
import { FlagError, parseSidecarFlags, renderHelp } from './flags.js';
import type { ParsedFlags } from './flags.js';
import { startSidecar } from './sidecar.js';
import { startTracing } from './tracing.js';

let f: ParsedFlags;
try {
  f = parseSidecarFlags(process.argv.slice(2), process.env);
  if (!f.help) {
    // Checked before anything starts, so a missing value is a usage error, not a half-started sidecar.
    f.required('replica-id');
    f.required('model-ref');
    if (f.bool('supervise'))
      for (const n of ['engine-binary', 'model-path', 'model-digest']) f.required(n);
    tlsFlags();
  }
} catch (e) {
  if (!(e instanceof FlagError)) throw e;
  process.stderr.write(`sidecar: ${e.message}\n`);
  process.exit(2);
}
if (f.help) {
  process.stdout.write(renderHelp());
  process.exit(0);
}

/** ORCH-3142: the control stream's mutual-TLS identity, all three files or none. */
function tlsFlags(): ReturnType<typeof controlTlsFrom> {
  try {
    return controlTlsFrom({
      ca: f.str('tls-ca'),
      cert: f.str('tls-cert'),
      key: f.str('tls-key'),
      serverName: f.str('tls-server-name'),
    });
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
}

const supervise = f.bool('supervise');
const controlTls = tlsFlags();
// ORCH-3011/3012: the replica's device mask and split ratios (checked before the engine starts).
const devices = f.list('devices');
const tensorSplit = f.numbers('tensor-split');
// Before the servers start, so their spans reach the SDK (OTEL_EXPORTER_OTLP_ENDPOINT enables it).
const tracing = await startTracing(process.env, 'llama-orch-sidecar');
const handle = await startSidecar({
  replicaId: f.required('replica-id'),
  poolId: f.required('pool-id'),
  engine: f.required('engine'),
  modelRef: f.required('model-ref'),
  host: f.required('host'),
  port: f.int('port'),
  advertiseHost: f.str('advertise-host'),
  placementAddress: f.required('placement'),
  ...(controlTls ? { controlTls } : {}),
  samplerProfile: f.required('sampler-profile'),
  resumeWindowMs: f.int('resume-window-ms'),
  restartPolicy: {
    initialBackoffMs: f.int('restart-initial-ms'),
    maxBackoffMs: f.int('restart-max-ms'),
    maxRestarts: f.int('restart-max'),
    windowMs: f.int('restart-window-ms'),
  },
  determinismStrict: f.bool('strict'),
  supervise: supervise
    ? {
        binary: f.required('engine-binary'),
        modelPath: f.required('model-path'),
        modelDigest: f.required('model-digest'),
        port: f.int('engine-port'),
        ctx: f.int('ctx'),
        threads: f.int('threads'),
        batch: f.int('batch'),
        ubatch: f.int('ubatch'),
        ...(devices.length > 0 ? { devices } : {}),
        ...(tensorSplit.length > 0 ? { tensorSplit } : {}),
      }
    : undefined,
  external: supervise
    ? undefined
    : {
        baseUrl: f.required('engine-url'),
        modelDigest: f.str('model-digest'),
        adapter: {
          model: f.str('engine-model'),
          metricsUrl: f.str('engine-metrics-url'),
          declared: f.list('engine-declare'),
        },
        declaredArgs: f.argv('engine-launch-args'),
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
