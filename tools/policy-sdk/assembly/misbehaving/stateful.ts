// Misbehaving policy (tests): tries to carry state between decisions (a counter in a global and
// in memory). The host resets both before every call, so its answers cannot drift.
export { snapshot_ptr, snapshot_capacity, scores_ptr } from '../sdk';
import { setScore } from '../sdk';

let calls: i32 = 0;
const CELL: usize = memory.data(8, 8);

export function decide(n: i32): i32 {
  calls++;
  store<f64>(CELL, load<f64>(CELL) + 1);
  for (let i = 0; i < n; i++) setScore(i, calls == 1 && load<f64>(CELL) == 1 ? 0.5 : 0.9);
  return 0;
}
