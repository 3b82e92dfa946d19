// Misbehaving policy (tests): traps (unreachable) on every call.
export { snapshot_ptr, snapshot_capacity, scores_ptr } from '../sdk';

export function decide(n: i32): i32 {
  if (n >= 0) unreachable();
  return 0;
}
