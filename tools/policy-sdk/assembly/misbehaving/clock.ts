// Misbehaving policy (tests): reads the clock, which needs an import; the host refuses it at load.
export { snapshot_ptr, snapshot_capacity, scores_ptr } from '../sdk';
import { setScore } from '../sdk';

export function decide(n: i32): i32 {
  for (let i = 0; i < n; i++) setScore(i, Date.now() % 2 == 0 ? 1 : 0);
  return 0;
}
