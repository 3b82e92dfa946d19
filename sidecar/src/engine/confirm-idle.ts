// After aborting an engine request, confirm the engine freed its slot within a deadline
// (some llama.cpp builds ignored client disconnects). Polling here is off the
// stream path: the client stream has already ended.
import type { EngineAdapter } from '../adapters/types.js';

export async function confirmSlotIdle(
  adapter: EngineAdapter,
  deadlineMs: number,
  pollMs = 100,
  /** Slots other work may hold meanwhile (the other leases of a multi-slot replica). */
  othersBusy: () => number = () => 0,
): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    try {
      const load = await adapter.load(AbortSignal.timeout(Math.max(50, deadline - Date.now())));
      const others = othersBusy();
      if (load.slotsBusy <= others && load.running <= others) return true;
    } catch {
      // engine unreachable: health tracking reports that separately
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return false;
}
