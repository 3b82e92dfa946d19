// Misbehaving policy (tests): answers NaN and 7 instead of scores in [0,1].
export { snapshot_ptr, snapshot_capacity, scores_ptr } from '../sdk';
import { setScore } from '../sdk';

export function decide(n: i32): i32 {
  for (let i = 0; i < n; i++) setScore(i, i % 2 == 0 ? NaN : 7);
  return 0;
}
