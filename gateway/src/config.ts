// The validated orchestrator config (contracts' loadConfig, ORCH-3030) → startGateway options.
import type { Config } from '@llama-orch/contracts';
import type { SchedulerConfig, TenantConfig as CoreTenant } from '@llama-orch/core';
import type { GatewayOptions } from './gateway.js';
import type { CircuitBreakerConfig } from './replica-health/circuit-breaker.js';
import { reloadTargetsFrom } from './rollout/reload-catalog.js';

export function schedulerConfigFrom(config: Config): SchedulerConfig {
  const wait = config.timeouts.queue_wait_ms;
  return {
    pools: config.pools.map((p) => ({
      id: p.id,
      engine: p.engine,
      modelRef: p.model_ref,
      ctxMax: p.ctx_max,
      promptFormat: p.prompt_format,
      // ORCH-3130: the pool's placement profile, from placement.profiles (or the built-in default).
      placementProfile: p.placement_profile,
      expect: {
        sampler_profile_version: p.sampler_profile_version,
        ...(p.model_digest ? { model_digest: p.model_digest } : {}),
      },
      queues: {
        interactive: {
          capacity: p.queue.interactive.capacity,
          fullPolicy: p.queue.interactive.full_policy,
          maxWaitMs: wait,
        },
        batch: {
          capacity: p.queue.batch.capacity,
          fullPolicy: p.queue.batch.full_policy,
          maxWaitMs: wait,
        },
      },
    })),
    tenants: Object.fromEntries(
      config.tenants.map((t): [string, CoreTenant] => [
        t.id,
        {
          weight: t.weight,
          quotas: {
            ...(t.quotas.concurrent !== undefined ? { maxConcurrent: t.quotas.concurrent } : {}),
            ...(t.quotas.tokens_per_minute !== undefined
              ? { tokensPerMinute: t.quotas.tokens_per_minute }
              : {}),
            ...(t.quotas.kv_mb !== undefined ? { kvMb: t.quotas.kv_mb } : {}),
          },
        },
      ]),
    ),
    defaultTenant: { weight: config.fairness.default_weight },
    sessions: { ttlMs: config.sessions.ttl_ms, maxTurns: config.sessions.max_turns },
    placement: {
      profiles: config.placement.profiles.map((profile) => ({
        name: profile.name,
        plugins: profile.plugins.map((plugin) => ({ ...plugin })),
      })),
    },
    attachTimeoutMs: config.timeouts.attach_timeout_ms,
  };
}

/** ORCH-3040: config `control.circuit_breaker` → the director's breaker settings. */
export function circuitBreakerFrom(config: Config): CircuitBreakerConfig {
  const cb = config.control.circuit_breaker;
  return { consecutiveFailures: cb.consecutive_failures, cooldownMs: cb.cooldown_ms };
}

export function gatewayOptionsFrom(config: Config): GatewayOptions {
  return {
    host: config.listen.host,
    restPort: config.listen.rest_port,
    extProcPort: config.listen.ext_proc_port,
    controlPort: config.listen.control_port,
    scheduler: schedulerConfigFrom(config),
    heartbeatTimeoutMs: config.control.heartbeat_timeout_ms,
    acceptTimeoutMs: config.control.assign_accept_timeout_ms,
    watchdog: { idleMs: config.timeouts.idle_ms, wallMs: config.timeouts.wall_ms },
    reloadTargets: reloadTargetsFrom(config),
    circuitBreaker: circuitBreakerFrom(config),
    // ORCH-4030: no path, no journal.
    ...(config.journal.path !== undefined
      ? { journal: { path: config.journal.path, synchronous: config.journal.synchronous } }
      : {}),
    ...(config.tls
      ? {
          tls: {
            caFile: config.tls.ca_file,
            certFile: config.tls.cert_file,
            keyFile: config.tls.key_file,
            refreshIntervalMs: config.tls.refresh_interval_ms,
          },
        }
      : {}),
    // ORCH-3035: keys map to tenants; operator tenants' keys are the control-plane credential.
    auth: {
      required: config.auth.required,
      tenants: config.tenants.map((t) => ({
        id: t.id,
        apiKeyHmac: t.api_key_hmac,
        operator: t.operator,
      })),
      ...(config.auth.api_key_secret_file !== undefined
        ? { secretFile: config.auth.api_key_secret_file }
        : {}),
    },
  };
}
