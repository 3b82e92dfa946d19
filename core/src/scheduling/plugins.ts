// The placement plugin seam (in the spirit of the llm-d endpoint picker): filters drop replicas,
// scorers rate the remaining candidates together (so they can normalise across the pool) with one
// score in [0,1] each so weights compose, a picker chooses. Implementations live in filters/,
// scorers/ and pickers/, one file each, and are registered by type in register.ts; a profile
// (profiles.ts) is an ordered list of them built from config.
import type { PromptFormat } from '../types.js';

export type { ProfileSpec } from '../types.js';

/** What a plugin may know about a candidate replica. */
export interface Candidate {
  replicaId: string;
  poolId: string;
  setKey: string;
  ready: boolean;
  /** False when the replica's identity disagrees with its pool's config. */
  eligible: boolean;
  freeSlots: number;
  slotsTotal: number;
  /** Busy fraction in [0,1]. */
  load: number;
  kvUsageRatio: number;
  /** Requests waiting inside the engine, from the sidecar's load report (0 when unreported). */
  queueDepth?: number;
}

/** What a plugin may know about the task being placed. */
export interface PlacementContext {
  taskId: string;
  poolId: string;
  /** The replica set this pool serves from right now; placement never leaves it. */
  setKey: string;
  /** The session's last good replica, when there is one. */
  affinityReplicaId: string | undefined;
  /** The only replica allowed to run the task (`placement.pin_replica_id`), when pinned. */
  pinnedReplicaId?: string | undefined;
  /** The prompt as the sidecar will send it (prefix-cache scorers hash it). */
  prompt?: string;
  /** How the sidecar hands the prompt to the engine (ORCH-3102). */
  promptFormat?: PromptFormat;
  priority?: 'interactive' | 'batch';
}

export interface Filter {
  readonly name: string;
  keep(ctx: PlacementContext, candidate: Candidate): boolean;
}

/**
 * Hooks a plugin may implement around a placement cycle (what the llm-d scheduler calls pre- and
 * post-cycle plugins). Core calls them synchronously; they must not do I/O.
 */
export interface PlacementHooks {
  /** Pre-cycle: replicas to consider besides the k least loaded (e.g. those holding the prefix). */
  extraCandidates?(ctx: PlacementContext): readonly string[];
  /** Post-cycle: the task was leased to `replicaId`. */
  placed?(ctx: PlacementContext, replicaId: string): void;
  /** The replica's engine state is gone (restart, reload, drain, removal): forget what it held. */
  forget?(replicaId: string): void;
  /** A replica of `poolId` registered or reported (every heartbeat): the fleet, for a rotation. */
  seen?(replicaId: string, poolId: string): void;
}

export interface Scorer extends PlacementHooks {
  readonly name: string;
  /**
   * One score per candidate, same order, each in [0,1] (values outside are clamped, NaN is 0).
   * `undefined` means the scorer is out of service (e.g. a disabled WASI policy): the pool's
   * default profile decides instead.
   */
  score(ctx: PlacementContext, candidates: readonly Candidate[]): readonly number[] | undefined;
}

/** A scorer that rates each candidate on its own: the common case, lifted to the list form. */
export function perCandidate(
  name: string,
  one: (ctx: PlacementContext, candidate: Candidate) => number,
): Scorer & { one: (ctx: PlacementContext, candidate: Candidate) => number } {
  return { name, one, score: (ctx, candidates) => candidates.map((c) => one(ctx, c)) };
}

export interface ScoredCandidate {
  candidate: Candidate;
  score: number;
}

export interface Picker {
  readonly name: string;
  pick(ctx: PlacementContext, scored: readonly ScoredCandidate[]): ScoredCandidate | undefined;
}

export interface WeightedScorer {
  scorer: Scorer;
  weight: number;
}

export interface PlacementProfile {
  readonly name: string;
  filters: readonly Filter[];
  scorers: readonly WeightedScorer[];
  picker: Picker;
}

export type PluginKind = 'filter' | 'scorer' | 'picker';

/**
 * A named plugin factory. `create` validates params and throws CoreError(INVALID_PARAMS) on bad
 * ones; it is called once per profile that names the type, so stateful scorers (prefix cache)
 * keep one state per profile.
 */
export type PluginFactory =
  | { kind: 'filter'; create(params: Record<string, unknown>): Filter }
  | { kind: 'scorer'; create(params: Record<string, unknown>): Scorer }
  | { kind: 'picker'; create(params: Record<string, unknown>): Picker };
