// Misbehaving policy (tests): never returns. The host's fuel metering must stop it.
export { snapshot_ptr, snapshot_capacity, scores_ptr } from '../sdk';
import { setScore } from '../sdk';

let sink: i32 = 0;
export function decide(n: i32): i32 {
  while (sink >= 0) sink = (sink + n) & 0x3fffffff;
  setScore(0, 0);
  return 0;
}
