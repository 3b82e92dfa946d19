// The orchestrator config, written once in TypeBox (ORCH-3030). The JSON Schema in
// contracts/schemas/config.schema.json is emitted from these definitions (`npm run regen`);
// TypeScript types come from Static<>. Every object rejects unknown fields.
import { Type } from '@sinclair/typebox';
import type { Static, TObject, TProperties } from '@sinclair/typebox';
import { ENGINES } from '../engines.js';
import { PlacementSchema, PoolPlacementProfile } from './placement.js';

/** A string enum as plain JSON Schema `enum` (clearer errors than anyOf-of-const). */
function StringEnum<const T extends readonly string[]>(
  values: T,
  opts: { description?: string; default?: T[number] } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

/** Object with additionalProperties:false; the one way objects are declared in this file. */
function Strict<P extends TProperties>(props: P, opts: { description?: string } = {}): TObject<P> {
  return Type.Object(props, { additionalProperties: false, ...opts });
}

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$', description: 'Lowercase id.' });
const Port = (def: number, description?: string) =>
  Type.Integer({
    minimum: 1,
    maximum: 65535,
    default: def,
    ...(description ? { description } : {}),
  });
const Ms = (description: string, def?: number) =>
  Type.Integer({
    minimum: 0,
    maximum: 86_400_000,
    description,
    ...(def === undefined ? {} : { default: def }),
  });

const EngineSchema = StringEnum(ENGINES, { description: 'Inference engine (ORCH-2008).' });

export const PROMPT_FORMATS = ['raw', 'chat'] as const;
export type PromptFormat = (typeof PROMPT_FORMATS)[number];

/**
 * The prompt format a pool gets when its config names none (ORCH-3102): `chat` wherever the
 * engine can render the model's own chat template (llama-server `/apply-template`, vLLM
 * `/tokenize` with messages, TGI `/chat_tokenize`); Triton has no such endpoint, so `raw`.
 */
export const DEFAULT_PROMPT_FORMAT: Readonly<Record<Engine, PromptFormat>> = {
  llamacpp: 'chat',
  vllm: 'chat',
  tgi: 'chat',
  triton: 'raw',
};

const DeviceSchema = Type.String({
  pattern: '^(cpu|cuda:[0-9]{1,2})$',
  description: '`cuda:<index>` (NVIDIA, ORCH-1101) or `cpu` (the labelled CI carve-out only).',
});

/** What a full queue does: reject the newcomer, or drop the oldest queued task (ORCH-3005). */
const FULL_POLICIES = ['reject', 'drop-lru'] as const;

const QueueClass = (capacity: number, policy: FullPolicy) =>
  Strict({
    capacity: Type.Integer({ minimum: 1, maximum: 1_000_000, default: capacity }),
    full_policy: StringEnum(FULL_POLICIES, { default: policy }),
  });

export const QueueSchema = Strict(
  {
    interactive: Type.Optional(QueueClass(64, 'reject')),
    batch: Type.Optional(QueueClass(256, 'drop-lru')),
  },
  { description: 'Bounded FIFO per pool and priority (ORCH-3004, ORCH-3005).' },
);

const TimeoutsSchema = Strict(
  {
    wall_ms: Type.Optional(Ms('Longest a task may run once started (ORCH-3016).', 60_000)),
    idle_ms: Type.Optional(
      Ms('Longest gap between tokens before the watchdog cancels (ORCH-3016).', 5_000),
    ),
    queue_wait_ms: Type.Optional(
      Ms('Longest a task may wait in the queue before it fails.', 30_000),
    ),
    attach_timeout_ms: Type.Optional(
      Ms('An admitted task no client streams within this is canceled (ORCH-4023).', 30_000),
    ),
  },
  { description: 'Watchdog timeouts.' },
);

const ModelSchema = Strict(
  {
    ref: Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'Model reference as clients and reload requests name it.',
    }),
    path: Type.Optional(
      Type.String({ minLength: 1, description: 'Local artifact path the sidecar launches.' }),
    ),
    digest: Type.Optional(
      Type.String({
        pattern: '^sha256:[0-9a-f]{64}$',
        description: 'Expected artifact digest, verified before load (ORCH-3037, ORCH-5002).',
      }),
    ),
  },
  {
    description:
      'A model a pool may be reloaded to (ORCH-2102): reload targets must be configured here.',
  },
);

export const PoolSchema = Strict(
  {
    id: Id,
    engine: EngineSchema,
    model_ref: Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'Model reference as clients send it.',
    }),
    model_digest: Type.Optional(
      Type.String({
        pattern: '^sha256:[0-9a-f]{64}$',
        description:
          'Expected artifact digest; a mismatch refuses to start (ORCH-3037, ORCH-5002).',
      }),
    ),
    model_path: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Local artifact path; else resolved by the toolchain.',
      }),
    ),
    devices: Type.Array(DeviceSchema, {
      minItems: 1,
      uniqueItems: true,
      description: 'Device mask of each replica; no spillover outside it (ORCH-3001, ORCH-3011).',
    }),
    cpu_carve_out: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Must be true when devices is [cpu]: CPU inference is the CI-only carve-out (ORCH-1101).',
      }),
    ),
    tensor_split: Type.Optional(
      Type.Array(Type.Number({ exclusiveMinimum: 0 }), {
        minItems: 2,
        description: 'Split ratios, one per device; required to split across GPUs (ORCH-3012).',
      }),
    ),
    replica_devices: Type.Optional(
      Type.Array(Type.Array(DeviceSchema, { minItems: 1, uniqueItems: true }), {
        minItems: 1,
        description: 'Per-replica masks (each a subset of devices); length equals replicas.',
      }),
    ),
    ctx_max: Type.Integer({
      minimum: 1,
      maximum: 1_048_576,
      description: 'Largest ctx a task may ask (ORCH-3014).',
    }),
    slots: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1024, default: 1, description: 'Slots per replica.' }),
    ),
    replicas: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 256,
        default: 1,
        description: 'Replicas (engine + sidecar pairs).',
      }),
    ),
    sampler_profile_version: Type.Optional(Type.String({ minLength: 1, default: 'v1' })),
    prompt_format: Type.Optional(
      StringEnum(PROMPT_FORMATS, {
        description:
          'How the sidecar hands a task prompt to the engine (ORCH-3102): `chat` renders it as one ' +
          "user turn with the model's own chat template (instruct models), `raw` sends it " +
          'unchanged (base models, or clients that format prompts themselves). Default: chat, ' +
          'raw for triton (no chat-template endpoint).',
      }),
    ),
    determinism: Type.Optional(
      StringEnum(['strict', 'best_effort'], {
        default: 'strict',
        description:
          'strict needs slots=1 and refuses Ready on a non-compliant engine (ORCH-3045, ORCH-4016).',
      }),
    ),
    supervise: Type.Optional(
      Type.Boolean({ default: true, description: 'The sidecar launches the engine itself.' }),
    ),
    engine_endpoints: Type.Optional(
      Type.Array(Type.String({ pattern: '^https?://' }), {
        minItems: 1,
        description: 'Engine URLs, one per replica, when supervise is false.',
      }),
    ),
    engine_args: Type.Optional(Type.Array(Type.String(), { description: 'Extra engine flags.' })),
    queue: Type.Optional(QueueSchema),
    placement_profile: Type.Optional(PoolPlacementProfile),
  },
  {
    description:
      'A pool: one model on one device mask, served by identical replicas (ORCH-3001, ORCH-3007).',
  },
);

export const TenantSchema = Strict(
  {
    id: Id,
    api_key_hmac: Type.Array(Type.String({ pattern: '^[0-9a-f]{64}$' }), {
      minItems: 1,
      uniqueItems: true,
      description:
        'HMAC-SHA256 (hex) of each accepted API key under the server secret ' +
        '(auth.api_key_secret_file or ORCH_API_KEY_SECRET); keys are never stored (ORCH-3035, ORCH-3140).',
    }),
    weight: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1000,
        default: 1,
        description: 'WFQ weight (ORCH-3075, ORCH-3076).',
      }),
    ),
    operator: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Keys of this tenant may call the control plane (/v1/pools/*) (ORCH-3035).',
      }),
    ),
    quotas: Type.Optional(
      Strict(
        {
          concurrent: Type.Optional(Type.Integer({ minimum: 1 })),
          tokens_per_minute: Type.Optional(Type.Integer({ minimum: 1 })),
          kv_mb: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { description: 'Per-tenant quotas; absent means unlimited (ORCH-3036).' },
      ),
    ),
  },
  { description: 'A tenant, identified by hashed API keys.' },
);

const ListenSchema = Strict(
  {
    host: Type.Optional(
      Type.String({
        minLength: 1,
        default: '127.0.0.1',
        description: 'Bind address of every service.',
      }),
    ),
    envoy_port: Type.Optional(Port(8080, 'The only public listener (ORCH-4001).')),
    envoy_admin_port: Type.Optional(Port(9901, 'Envoy admin, always 127.0.0.1.')),
    rest_port: Type.Optional(Port(8081)),
    ext_proc_port: Type.Optional(Port(9002)),
    control_port: Type.Optional(Port(9003, 'Sidecar control gRPC (ORCH-4010).')),
    sidecar_port_base: Type.Optional(Port(8100, 'Sidecar n listens on base + n.')),
    engine_port_base: Type.Optional(Port(8200, 'Engine n listens on base + n.')),
  },
  { description: 'Listen addresses; every port is overridable.' },
);

export const ConfigSchema = Strict(
  {
    version: Type.Literal(1, { description: 'Config format version.' }),
    listen: Type.Optional(ListenSchema),
    auth: Type.Optional(
      Strict({
        required: Type.Optional(
          Type.Boolean({
            default: false,
            description: 'Require an API key on both paths; mandatory off loopback (ORCH-3035).',
          }),
        ),
        api_key_secret_file: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'File holding the server secret (at least 32 bytes) that tenants[].api_key_hmac are ' +
              'keyed with; ORCH_API_KEY_SECRET (the secret itself) overrides it. Needed as soon as ' +
              'a tenant has keys (ORCH-3140).',
          }),
        ),
      }),
    ),
    pools: Type.Array(PoolSchema, { minItems: 1 }),
    queue: Type.Optional(QueueSchema),
    timeouts: Type.Optional(TimeoutsSchema),
    sessions: Type.Optional(
      Strict(
        {
          ttl_ms: Type.Optional(
            Type.Integer({ minimum: 1000, maximum: 600_000, default: 600_000 }),
          ),
          max_turns: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 8 })),
        },
        { description: 'Session TTL ≤ 10 min and turn cap (ORCH-3021).' },
      ),
    ),
    fairness: Type.Optional(
      Strict(
        {
          kind: Type.Optional(StringEnum(['wfq', 'fifo'], { default: 'wfq' })),
          default_weight: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              maximum: 1000,
              default: 1,
              description: 'Weight of tenants without one.',
            }),
          ),
        },
        { description: 'Fairness across tenants (ORCH-3075, ORCH-3076).' },
      ),
    ),
    control: Type.Optional(
      Strict(
        {
          heartbeat_interval_ms: Type.Optional(Ms('How often sidecars send Heartbeat.', 1_000)),
          heartbeat_timeout_ms: Type.Optional(
            Ms('Heartbeat age after which a replica is Unready (ORCH-4011).', 5_000),
          ),
          assign_accept_timeout_ms: Type.Optional(
            Ms('Wait for LeaseEvent.accepted after Assign.', 2_000),
          ),
          circuit_breaker: Type.Optional(
            Strict(
              {
                consecutive_failures: Type.Optional(
                  Type.Integer({
                    minimum: 1,
                    maximum: 1000,
                    default: 5,
                    description:
                      'Consecutive WORKER_RESET/DECODE_TIMEOUT leases that take a replica out of placement.',
                  }),
                ),
                cooldown_ms: Type.Optional(
                  Ms('Wait before an open breaker lets one trial lease through.', 30_000),
                ),
              },
              { description: 'Per-replica circuit breaker (ORCH-3040).' },
            ),
          ),
        },
        { description: 'Sidecar <-> placement protocol timings (ORCH-4010).' },
      ),
    ),
    tls: Type.Optional(
      Strict(
        {
          ca_file: Type.String({
            minLength: 1,
            description:
              'PEM CA bundle that client certificates (sidecars, Envoy) must chain to (ORCH-3142).',
          }),
          cert_file: Type.String({
            minLength: 1,
            description: "PEM certificate chain of placement's ext_proc and control listeners.",
          }),
          key_file: Type.String({ minLength: 1, description: 'PEM private key of cert_file.' }),
          refresh_interval_ms: Type.Optional(
            Type.Integer({
              minimum: 100,
              maximum: 86_400_000,
              default: 60_000,
              description:
                'How often the three files are re-read; rotated files (a Kubernetes Secret ' +
                'update) are used for new connections without a restart.',
            }),
          ),
        },
        {
          description:
            'Mutual TLS on the ext_proc and control gRPC listeners (ORCH-3142): a peer without ' +
            'a certificate signed by ca_file cannot connect, so a sidecar without one cannot ' +
            'register. Mandatory when listen.host is not loopback.',
        },
      ),
    ),
    journal: Type.Optional(
      Strict(
        {
          path: Type.Optional(
            Type.String({
              minLength: 1,
              description:
                'SQLite file of the admission journal (relative paths from the working directory); ' +
                'absent: nothing is journaled and a placement restart forgets queued tasks.',
            }),
          ),
          synchronous: Type.Optional(
            StringEnum(['full', 'normal'], {
              default: 'full',
              description:
                'full: fsync the WAL at every admission (survives a machine crash); normal: ' +
                'fsync at checkpoints only (survives a placement crash, not a power loss).',
            }),
          ),
        },
        {
          description:
            'Admission journal (ORCH-4030): a task answered 202 survives a placement restart.',
        },
      ),
    ),
    placement: Type.Optional(PlacementSchema),
    tenants: Type.Optional(Type.Array(TenantSchema, { default: [] })),
    models: Type.Optional(Type.Array(ModelSchema, { default: [] })),
  },
  { description: 'llama-orch configuration (ORCH-3030).' },
);

export type ConfigInput = Static<typeof ConfigSchema>;
export type PoolInput = Static<typeof PoolSchema>;
export type TenantInput = Static<typeof TenantSchema>;
export type ModelInput = Static<typeof ModelSchema>;
export type Engine = Static<typeof EngineSchema>;
export type FullPolicy = (typeof FULL_POLICIES)[number];
