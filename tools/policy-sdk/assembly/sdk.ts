// llama-orch policy SDK (AssemblyScript). A policy scores placement candidates: the host writes a
// snapshot into SNAPSHOT, calls decide(n), and reads n scores in [0,1] from SCORES. The layout is
// gateway/src/policy/snapshot.ts's: a header of 8 float64 slots, then 8 per candidate.
// A policy module has no imports (the host refuses any): no clock, no I/O, no randomness.

export const ABI_VERSION: f64 = 1;
export const HEADER_SLOTS: i32 = 8;
export const CANDIDATE_SLOTS: i32 = 8;
export const MAX_CANDIDATES: i32 = 256;

const SNAPSHOT: usize = memory.data(8 * (HEADER_SLOTS + CANDIDATE_SLOTS * MAX_CANDIDATES), 8);
const SCORES: usize = memory.data(8 * MAX_CANDIDATES, 8);

/** Host ABI: where the snapshot goes and how many float64 slots fit. */
export function snapshot_ptr(): usize {
  return SNAPSHOT;
}
export function snapshot_capacity(): i32 {
  return HEADER_SLOTS + CANDIDATE_SLOTS * MAX_CANDIDATES;
}
export function scores_ptr(): usize {
  return SCORES;
}

function header(slot: i32): f64 {
  return load<f64>(SNAPSHOT + ((<usize>slot) << 3));
}
function field(i: i32, slot: i32): f64 {
  return load<f64>(SNAPSHOT + ((<usize>(HEADER_SLOTS + i * CANDIDATE_SLOTS + slot)) << 3));
}

export function abiVersion(): f64 {
  return header(0);
}
/** The task is interactive (else batch). */
export function interactive(): bool {
  return header(2) != 0;
}
/** The task's session has a last good replica among or beside the candidates. */
export function hasAffinity(): bool {
  return header(3) != 0;
}
export function promptChars(): f64 {
  return header(4);
}
export function pinned(): bool {
  return header(5) != 0;
}

/** Busy fraction of candidate i in [0,1]. */
export function load_(i: i32): f64 {
  return field(i, 0);
}
export function freeSlots(i: i32): f64 {
  return field(i, 1);
}
export function slotsTotal(i: i32): f64 {
  return field(i, 2);
}
export function kvUsage(i: i32): f64 {
  return field(i, 3);
}
/** Requests waiting inside candidate i's engine. */
export function queueDepth(i: i32): f64 {
  return field(i, 4);
}
/** Candidate i served the task's session last. */
export function isAffinity(i: i32): bool {
  return field(i, 5) != 0;
}

/** Set candidate i's score; the host refuses (and disables the policy on) values outside [0,1]. */
export function setScore(i: i32, score: f64): void {
  store<f64>(SCORES + ((<usize>i) << 3), score);
}

/** Clamp to [0,1] (NaN becomes 0). */
export function clamp01(x: f64): f64 {
  return x > 1 ? 1 : x >= 0 ? x : 0;
}
