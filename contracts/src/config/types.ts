// The config after defaults: every defaulted field is present, pool queues are merged over the
// global queue, per-replica device masks are explicit. Checked against the TypeBox input type
// at compile time (bottom of file), so the two cannot drift apart silently.
import type {
  ConfigInput,
  Engine,
  FullPolicy,
  ModelInput,
  PoolInput,
  PromptFormat,
  TenantInput,
} from './schema.js';
import type { PlacementProfileConfig } from './placement.js';

export interface QueueClassConfig {
  capacity: number;
  full_policy: FullPolicy;
}

export interface QueueConfig {
  interactive: QueueClassConfig;
  batch: QueueClassConfig;
}

export interface PoolConfig {
  id: string;
  engine: Engine;
  model_ref: string;
  model_digest?: string;
  model_path?: string;
  devices: string[];
  cpu_carve_out: boolean;
  tensor_split?: number[];
  /** One device mask per replica (defaults to `devices` for each). */
  replica_devices: string[][];
  ctx_max: number;
  slots: number;
  replicas: number;
  sampler_profile_version: string;
  /** ORCH-3102: resolved from DEFAULT_PROMPT_FORMAT when the file names none. */
  prompt_format: PromptFormat;
  determinism: 'strict' | 'best_effort';
  supervise: boolean;
  engine_endpoints?: string[];
  engine_args: string[];
  /** The pool's own queue merged over the global one. */
  queue: QueueConfig;
  /** ORCH-3130: the pool's placement profile (`default` unless set). */
  placement_profile: string;
}

export interface TenantConfig {
  id: string;
  /** HMAC-SHA256 hex of each key under the server secret (ORCH-3140). */
  api_key_hmac: string[];
  weight: number;
  /** May call the control plane (ORCH-3035). */
  operator: boolean;
  quotas: { concurrent?: number; tokens_per_minute?: number; kv_mb?: number };
}

/** A reload target (ORCH-2102): a pool may only be reloaded to a configured model. */
interface ModelConfig {
  ref: string;
  path?: string;
  digest?: string;
}

interface TlsConfig {
  ca_file: string;
  cert_file: string;
  key_file: string;
  refresh_interval_ms: number;
}

export interface Config {
  version: 1;
  listen: {
    host: string;
    envoy_port: number;
    envoy_admin_port: number;
    rest_port: number;
    ext_proc_port: number;
    control_port: number;
    sidecar_port_base: number;
    engine_port_base: number;
  };
  auth: { required: boolean; api_key_secret_file?: string };
  /** ORCH-3142: mTLS on placement's gRPC listeners; absent = plaintext (loopback only). */
  tls?: TlsConfig;
  pools: PoolConfig[];
  queue: QueueConfig;
  timeouts: { wall_ms: number; idle_ms: number; queue_wait_ms: number; attach_timeout_ms: number };
  sessions: { ttl_ms: number; max_turns: number };
  fairness: { kind: 'wfq' | 'fifo'; default_weight: number };
  control: {
    heartbeat_interval_ms: number;
    heartbeat_timeout_ms: number;
    assign_accept_timeout_ms: number;
    /** ORCH-3040: per-replica circuit breaker. */
    circuit_breaker: { consecutive_failures: number; cooldown_ms: number };
  };
  /** ORCH-4030: admission journal; no path = off. */
  journal: { path?: string; synchronous: 'full' | 'normal' };
  /** ORCH-3130: named placement profiles. */
  placement: { profiles: PlacementProfileConfig[] };
  tenants: TenantConfig[];
  models: ModelConfig[];
}

// Compile-time drift guards: a resolved config is a valid input config.
type Assert<T extends true> = T;
export type _ConfigMatchesInput = Assert<Config extends ConfigInput ? true : false>;
export type _PoolMatchesInput = Assert<PoolConfig extends PoolInput ? true : false>;
export type _TenantMatchesInput = Assert<TenantConfig extends TenantInput ? true : false>;
export type _ModelMatchesInput = Assert<ModelConfig extends ModelInput ? true : false>;
