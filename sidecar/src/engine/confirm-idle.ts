// After aborting an engine request, confirm the engine freed its slot within a deadline
// (llama.cpp has ignored client disconnects in some builds, engines.md). Polling here is off the
// stream path: the client stream has already ended.
import type { EngineAdapter } from '../adapters/types.js';

export async function confirmSlotIdle(
  adapter: EngineAdapter,
  deadlineMs: number,
  pollMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    try {
      const load = await adapter.load(AbortSignal.timeout(Math.max(50, deadline - Date.now())));
      if (load.slotsBusy === 0 && load.running === 0) return true;
    } catch {
      // engine unreachable: health tracking reports that separately
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return false;
}
