// ORCH-3091: when a client omits `seed`, core derives it from the task id. The function is part of
// the public contract and must never change between releases: FNV-1a, 32-bit, over the UTF-8 bytes
// of task_id, offset basis 0x811c9dc5, prime 0x01000193, result as an unsigned 32-bit integer.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const encoder = new TextEncoder();

export function injectSeed(taskId: string): number {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(taskId)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The seed a task runs with: the client's when given, else `injectSeed(task_id)`. */
export function resolveSeed(taskId: string, seed: number | undefined): number {
  return seed === undefined ? injectSeed(taskId) : seed;
}
