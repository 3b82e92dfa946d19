// The placement plugin seam (in the spirit of the llm-d endpoint picker): filters drop replicas,
// scorers rate the rest in [0,1] so weights compose, a picker chooses. Implementations live in
// filters/, scorers/ and pickers/, one file each; register.ts wires the default profile.

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
}

export interface Filter {
  readonly name: string;
  keep(ctx: PlacementContext, candidate: Candidate): boolean;
}

export interface Scorer {
  readonly name: string;
  /** Must return a value in [0,1]. */
  score(ctx: PlacementContext, candidate: Candidate): number;
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
  filters: readonly Filter[];
  scorers: readonly WeightedScorer[];
  picker: Picker;
}
