// Fill defaults and check the invariants core relies on. The gateway validates the YAML against
// the config schema first (ORCH-3030); this only guards core against impossible values.
import { CoreError } from './errors.js';
import { ENGINES, PRIORITIES } from './types.js';
import type {
  PlacementWeights,
  PoolConfig,
  Priority,
  ProfileSpec,
  PromptFormat,
  QueueConfig,
  SchedulerConfig,
  ServiceTimeConfig,
  SessionConfig,
  TenantQuotas,
} from './types.js';

export interface NormPool {
  id: string;
  engine: PoolConfig['engine'];
  modelRef: string;
  ctxMax: number;
  promptFormat: PromptFormat;
  /** ORCH-3130: the placement profile's name (`default` unless configured). */
  placementProfile: string;
  expect: NonNullable<PoolConfig['expect']>;
  kvMbPerToken: number;
  queues: Record<Priority, QueueConfig>;
}

export interface NormTenant {
  weight: number;
  quotas: Required<TenantQuotas>;
}

export interface NormConfig {
  pools: NormPool[];
  poolById: Map<string, NormPool>;
  priorityWeights: Record<Priority, number>;
  tenants: Map<string, NormTenant>;
  defaultTenant: NormTenant;
  sessions: SessionConfig;
  serviceTime: ServiceTimeConfig;
  candidates: number;
  weights: PlacementWeights;
  profiles: ProfileSpec[];
  shareAlpha: number;
  terminalRetention: number;
  leasePrefix: string;
  maxAttempts: number;
  attachTimeoutMs: number;
}

export const DEFAULT_QUEUES: Record<Priority, QueueConfig> = {
  interactive: { capacity: 256, fullPolicy: 'reject', maxWaitMs: 30_000 },
  batch: { capacity: 1024, fullPolicy: 'drop-lru', maxWaitMs: 600_000 },
};

function invalid(message: string): CoreError {
  return new CoreError('INVALID_PARAMS', `core config: ${message}`);
}

function positive(value: number, what: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw invalid(`${what} must be > 0`);
  return value;
}

function nonNegInt(value: number, what: string): number {
  if (!(Number.isInteger(value) && value >= 0)) throw invalid(`${what} must be an integer >= 0`);
  return value;
}

function tenant(t: SchedulerConfig['defaultTenant'], what: string): NormTenant {
  const q = t?.quotas ?? {};
  return {
    weight: positive(t?.weight ?? 1, `${what}.weight`),
    quotas: {
      maxConcurrent: q.maxConcurrent ?? Infinity,
      tokensPerMinute: q.tokensPerMinute ?? Infinity,
      kvMb: q.kvMb ?? Infinity,
      ratePerSecond: q.ratePerSecond ?? Infinity,
      burst: q.burst ?? Math.max(1, q.ratePerSecond ?? 1),
    },
  };
}

export function normalizeConfig(config: SchedulerConfig): NormConfig {
  const poolById = new Map<string, NormPool>();
  const pools: NormPool[] = [];
  for (const p of config.pools) {
    if (poolById.has(p.id)) throw invalid(`duplicate pool id ${p.id}`);
    if (!ENGINES.includes(p.engine)) throw invalid(`pool ${p.id}: unknown engine ${p.engine}`);
    const queues = {} as Record<Priority, QueueConfig>;
    for (const prio of PRIORITIES) {
      const q = { ...DEFAULT_QUEUES[prio], ...config.queues?.[prio], ...p.queues?.[prio] };
      nonNegInt(q.capacity, `pool ${p.id} ${prio} capacity`);
      positive(q.maxWaitMs, `pool ${p.id} ${prio} maxWaitMs`);
      queues[prio] = q;
    }
    const pool: NormPool = {
      id: p.id,
      engine: p.engine,
      modelRef: p.modelRef,
      ctxMax: positive(p.ctxMax, `pool ${p.id} ctxMax`),
      promptFormat: p.promptFormat ?? 'raw',
      placementProfile: p.placementProfile ?? 'default',
      expect: p.expect ?? {},
      kvMbPerToken: p.kvMbPerToken ?? 0.125,
      queues,
    };
    poolById.set(p.id, pool);
    pools.push(pool);
  }
  // Pools are always visited in id order so dispatch order never depends on config order.
  pools.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const tenants = new Map<string, NormTenant>();
  for (const [id, t] of Object.entries(config.tenants ?? {})) tenants.set(id, tenant(t, id));
  const w = config.placement?.weights ?? {};
  return {
    pools,
    poolById,
    priorityWeights: {
      interactive: positive(config.priorityWeights?.interactive ?? 8, 'interactive weight'),
      batch: positive(config.priorityWeights?.batch ?? 1, 'batch weight'),
    },
    tenants,
    defaultTenant: tenant(config.defaultTenant, 'defaultTenant'),
    sessions: {
      ttlMs: positive(config.sessions?.ttlMs ?? 600_000, 'sessions.ttlMs'),
      maxTurns: positive(config.sessions?.maxTurns ?? 8, 'sessions.maxTurns'),
      budgetTokens: config.sessions?.budgetTokens ?? 0,
      budgetTimeMs: config.sessions?.budgetTimeMs ?? 0,
    },
    serviceTime: {
      firstTokenMs: config.serviceTime?.firstTokenMs ?? 200,
      msPerToken: config.serviceTime?.msPerToken ?? 20,
      alpha: config.serviceTime?.alpha ?? 0.2,
    },
    candidates: Math.max(1, Math.floor(config.placement?.candidates ?? 4)),
    weights: {
      leastLoad: w.leastLoad ?? 1,
      sessionAffinity: w.sessionAffinity ?? 2,
      kvHeadroom: w.kvHeadroom ?? 0.25,
    },
    profiles: config.placement?.profiles ?? [],
    shareAlpha: config.shareAlpha ?? 0.05,
    terminalRetention: nonNegInt(config.terminalRetention ?? 100_000, 'terminalRetention'),
    leasePrefix: config.leasePrefix ?? 'lease-',
    maxAttempts: positive(config.maxAttempts ?? 3, 'maxAttempts'),
    attachTimeoutMs: positive(config.attachTimeoutMs ?? 30_000, 'attachTimeoutMs'),
  };
}

export function tenantConfig(config: NormConfig, tenantId: string): NormTenant {
  return config.tenants.get(tenantId) ?? config.defaultTenant;
}
