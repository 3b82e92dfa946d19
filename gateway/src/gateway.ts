// startGateway: wires core, the sidecar registry, the director, the ext_proc server, the control
// server and the REST app into one placement service. main.ts only parses flags and calls this.
import { randomUUID } from 'node:crypto';
import { Scheduler } from '@llama-orch/core';
import type { SchedulerConfig } from '@llama-orch/core';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { openAiRouteOf, warmValidators } from '@llama-orch/contracts';
import { dirname } from 'node:path';
import { toImmediateError } from './errors/immediate-error.js';
import { wasmPolicyPlugin } from './policy/plugin.js';
import { openAiErrorDecision } from './openai/errors.js';
import { openAiPlacer } from './openai/placer.js';
import { startExtProcServer } from './extproc/server.js';
import { KeyRing } from './auth/api-keys.js';
import type { TenantKeys } from './auth/api-keys.js';
import { AuthPolicy, assertAuthAllowed } from './auth/policy.js';
import type { GrpcTlsFiles } from './auth/grpc-tls.js';
import { loadKeySecret } from './auth/key-secret-source.js';
import { correlationGuard } from './extproc/correlation-guard.js';
import { guardedPlacer } from './auth/stream-guard.js';
import { buildHttpApp } from './http/app.js';
import type { HttpPlugin } from './http/app.js';
import { createMetrics } from './metrics/metrics.js';
import type { GatewayMetrics } from './metrics/metrics.js';
import { ControlBridge } from './replicas/control-bridge.js';
import type { WatchdogLimits } from './dispatch/assign.js';
import { Director } from './dispatch/director.js';
import { configCommit } from './rollout/config-swap.js';
import { PoolService } from './services/pools.js';
import type { ReloadTarget } from './rollout/reload-catalog.js';
import { TaskService } from './services/tasks.js';
import { AdmissionJournal } from './journal/journal.js';
import type { JournalSync } from './journal/journal.js';
import { replayJournal } from './journal/replay.js';
import { startControlServer } from './replicas/control-server.js';
import { ReplicaRegistry } from './replicas/registry.js';
import { traceRest, tracedPlacer } from './tracing/spans.js';
import type { CircuitBreakerConfig } from './replica-health/circuit-breaker.js';

export interface GatewayOptions {
  /** Extra REST route plugins (tests register the provider-state hook; production has none). */
  readonly httpPlugins?: readonly HttpPlugin[];
  /** Bind address of all three servers (default 127.0.0.1). */
  readonly host?: string;
  /** REST port (default 8081); 0 picks a free port. */
  readonly restPort?: number;
  /** ext_proc gRPC port (default 9002); 0 picks a free port. */
  readonly extProcPort?: number;
  /** Sidecar control gRPC port (default 9003); 0 picks a free port. */
  readonly controlPort?: number;
  /** Pools, queues, tenants, sessions: core's scheduler config. */
  readonly scheduler: SchedulerConfig;
  /** A heartbeat older than this makes a replica Unready (default 5000 ms). */
  readonly heartbeatTimeoutMs?: number;
  /** How long a sidecar has to accept an Assign (default 2000 ms). */
  readonly acceptTimeoutMs?: number;
  /** ORCH-3016: the sidecars' watchdog limits (config `timeouts`); absent: each sidecar's own. */
  readonly watchdog?: WatchdogLimits;
  /** Interval of core.tick() and heartbeat sweeps (default 250 ms). */
  readonly tickIntervalMs?: number;
  /**
   * ORCH-3035 API keys (config `auth.required` and `tenants[]`). Default: not required, no keys
   * (every request is tenant "default"; the control plane is open on loopback only).
   * ORCH_ADMIN_TOKEN from the environment is added as an operator key of tenant "default".
   */
  readonly auth?: {
    readonly required: boolean;
    readonly tenants: readonly TenantKeys[];
    /** ORCH-3140: file of the secret tenants' key HMACs are keyed with (ORCH_API_KEY_SECRET wins). */
    readonly secretFile?: string;
  };
  /**
   * ORCH-3142: mutual TLS on the ext_proc and control listeners (config `tls`); absent means
   * plaintext, which the config allows on loopback only.
   */
  readonly tls?: GrpcTlsFiles;
  /** Environment to read ORCH_ADMIN_TOKEN and ORCH_API_KEY_SECRET from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** pino logger, or a level for a JSON logger on stdout (default "info"). */
  readonly logger?: Logger | string;
  /** Reload targets (ORCH-2102): config `models[]` plus the pools' own models. */
  readonly reloadTargets?: readonly ReloadTarget[];
  /** ORCH-3031: the config file a successful reload rewrites (readOnly: report, never write). */
  readonly configFile?: { readonly path: string; readonly readOnly?: boolean };
  /** ORCH-3040: per-replica circuit breaker (default 5 consecutive failures, 30 s cool-down). */
  readonly circuitBreaker?: CircuitBreakerConfig;
  readonly clock?: () => number;
  /**
   * ORCH-4030: the admission journal (config `journal`); absent = nothing is journaled and a
   * restart forgets queued tasks. ':memory:' runs the same code with nothing kept.
   */
  readonly journal?: { readonly path: string; readonly synchronous?: JournalSync };
}

export interface GatewayHandle {
  readonly restPort: number;
  readonly extProcPort: number;
  readonly controlPort: number;
  readonly metrics: GatewayMetrics;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<GatewayHandle> {
  const log =
    typeof options.logger === 'object' ? options.logger : pino({ level: options.logger ?? 'info' });
  const clock = options.clock ?? (() => performance.now());
  const host = options.host ?? '127.0.0.1';
  const authRequired = options.auth?.required ?? false;
  assertAuthAllowed(host, authRequired); // before any port is bound
  // Issue 19: request-body validators compile now, not on the first request after each start.
  warmValidators();
  const metrics = createMetrics({ tenants: options.scheduler.tenants });
  const poolEngine = new Map(options.scheduler.pools.map((p) => [p.id, p.engine]));
  const engineOf = (poolId: string): string => poolEngine.get(poolId) ?? 'unknown';
  // Each boot gets its own lease prefix so a restarted gateway never reissues a live lease id.
  const core = new Scheduler({
    config: { leasePrefix: `L${randomUUID().slice(0, 8)}-`, ...options.scheduler },
    clock,
    // ORCH-3133: WASI policy plugins; a relative path is read from the config file's folder.
    plugins: {
      'wasm-policy': wasmPolicyPlugin({
        baseDir: options.configFile ? dirname(options.configFile.path) : process.cwd(),
        onDisabled: (policy, reason, detail) => {
          metrics.policyDisabled.inc({ policy, reason });
          log.error(
            { component: 'placement', policy, reason, detail },
            'placement policy disabled; the default profile places instead',
          );
        },
      }),
    },
  });
  const registry = new ReplicaRegistry({
    clock,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 5000,
    log: log.child({ component: 'control' }),
  });
  const journalLog = log.child({ component: 'journal' });
  const journal =
    options.journal &&
    new AdmissionJournal({
      ...options.journal,
      onError: (err, taskId, what) => journalLog.error({ err, task_id: taskId }, what),
    });
  const director = new Director({
    core,
    registry,
    metrics,
    clock,
    ...(journal ? { journal } : {}),
    acceptTimeoutMs: options.acceptTimeoutMs ?? 2000,
    ...(options.watchdog ? { watchdog: options.watchdog } : {}),
    ...(options.circuitBreaker ? { circuitBreaker: options.circuitBreaker } : {}),
    poolEngine: (poolId) => poolEngine.get(poolId),
    log: log.child({ component: 'placement' }),
  });
  registry.bind(
    new ControlBridge({
      core,
      registry,
      director,
      metrics,
      log,
      ...(journal ? { ended: (taskId: string) => journal.hasEnded(taskId) } : {}),
    }),
  );
  const tasks = new TaskService({
    core,
    director,
    registry,
    metrics,
    log,
    ...(journal ? { journal } : {}),
  });
  if (journal) {
    // Before the control port opens: restored tasks are queued before any sidecar re-reports.
    const replay = replayJournal(journal, tasks, journalLog);
    journalLog.info(
      {
        ...replay,
        path: options.journal?.path,
        synchronous: options.journal?.synchronous ?? 'full',
      },
      'admission journal replayed',
    );
  }

  const env = options.env ?? process.env;
  const adminToken = env['ORCH_ADMIN_TOKEN'];
  const tenantKeys = options.auth?.tenants ?? [];
  const keySecret = loadKeySecret({
    file: options.auth?.secretFile,
    env,
    needed: tenantKeys.some((t) => t.apiKeyHmac.length > 0),
  });
  const policy = new AuthPolicy({
    required: authRequired,
    keys: new KeyRing(keySecret, tenantKeys, adminToken ? [adminToken] : []),
    host,
  });
  const taskTenant = (taskId: string): string | undefined => core.task(taskId)?.tenant;
  logAuthMode(log, policy, host);

  const control = await startControlServer({
    registry,
    host,
    port: options.controlPort ?? 9003,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const extProc = await startExtProcServer({
    // ORCH-3144: a contract-breaking X-Correlation-Id is refused before auth and admission.
    placer: correlationGuard(
      guardedPlacer(
        tracedPlacer(
          openAiPlacer(director, {
            tasks,
            director,
            registry,
            pools: options.scheduler.pools,
            log: log.child({ component: 'openai' }),
          }),
        ),
        {
          policy,
          taskTenant,
          onRefused: (_error, api) => metrics.extProcRequests.inc({ outcome: 'unauthorized', api }),
        },
      ),
    ),
    // ORCH-3106: the OpenAI routes answer errors in OpenAI's shape, everything else the envelope.
    errorToDecision: (error, request) =>
      openAiRouteOf(request.path) === undefined
        ? toImmediateError(error, request.correlationId)
        : openAiErrorDecision(error, request.correlationId),
    log: log.child({ component: 'ext_proc' }),
    host,
    port: options.extProcPort ?? 9002,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const reloadLog = log.child({ component: 'reload' });
  const pools = new PoolService(core, registry, clock, director, {
    catalog: options.reloadTargets,
    log: reloadLog,
    commit: options.configFile && configCommit({ ...options.configFile, log: reloadLog }),
  });
  const app = buildHttpApp({
    tasks,
    pools,
    metrics,
    auth: policy,
    taskTenant,
    ...(options.httpPlugins && { plugins: options.httpPlugins }),
  });
  traceRest(app);
  // Queue, lease and share gauges mirror core's state when /metrics is read (ORCH-4019).
  metrics.onScrape(() => tasks.refreshGauges(engineOf));
  await app.listen({ host, port: options.restPort ?? 8081 });
  const address = app.server.address();
  const restPort = typeof address === 'object' && address ? address.port : 0;

  const timer = setInterval(() => {
    try {
      director.tick();
    } catch (error) {
      log.error({ err: error }, 'tick failed');
    }
  }, options.tickIntervalMs ?? 250);
  timer.unref();

  log.info({ restPort, extProcPort: extProc.port, controlPort: control.port }, 'gateway listening');
  let closing: Promise<void> | undefined;
  return {
    restPort,
    extProcPort: extProc.port,
    controlPort: control.port,
    metrics,
    close: () => {
      closing ??= (async () => {
        clearInterval(timer);
        director.close();
        await Promise.all([extProc.close(), control.close(), app.close()]);
        journal?.close(); // after the REST app: no admission can be in flight now
      })();
      return closing;
    },
  };
}

function logAuthMode(log: Logger, policy: AuthPolicy, host: string): void {
  if (!policy.required) {
    log.warn(
      { host },
      'auth.required is false: requests without an API key act as tenant "default" (loopback only)',
    );
  }
  if (policy.controlMode === 'open') {
    log.warn(
      { host },
      'control plane has no operator key (set ORCH_ADMIN_TOKEN or an operator tenant); open on loopback only',
    );
  } else if (policy.controlMode === 'closed') {
    log.warn({ host }, 'control plane disabled: no operator key configured');
  }
}
