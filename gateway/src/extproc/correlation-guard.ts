// ORCH-3144 on the ext_proc routes (stream, OpenAI): a request whose X-Correlation-Id breaks the
// contract is refused before anything else looks at it (auth, admission, the hold), with the same
// 400 INVALID_PARAMS the REST routes answer; the answer echoes the id minted in its place.
import type { PlacementDecision, PlacementRequest, Placer } from './handler.js';

export function correlationGuard(placer: Placer): Placer {
  return {
    decide(request: PlacementRequest, signal: AbortSignal): Promise<PlacementDecision> {
      if (request.correlationRefusal) return Promise.reject(request.correlationRefusal);
      return placer.decide(request, signal);
    },
  };
}
