// ORCH-3035 on the stream route: placement checks the API key in ext_proc, before the task is
// attached, so a refused stream never holds a queue slot. A refusal is thrown as a CoreError and
// the ext_proc loop answers it with an ImmediateResponse carrying the ErrorEnvelope. A routed
// stream has its credentials stripped: the sidecar and the engine never see a client's key.
import { openAiRouteOf } from '@llama-orch/contracts';
import type { CoreError } from '@llama-orch/core';
import type { PlacementDecision, PlacementRequest, Placer } from '../extproc/handler.js';
import { credentialFrom } from './api-keys.js';
import type { AuthPolicy } from './policy.js';

const CREDENTIAL_HEADERS = ['x-api-key', 'authorization'] as const;

interface StreamGuardOptions {
  readonly policy: AuthPolicy;
  /** Tenant that submitted a live task (undefined when unknown: the placer answers 404). */
  readonly taskTenant: (taskId: string) => string | undefined;
  /** Told about each refusal (metrics: placement_extproc_requests_total{outcome="unauthorized"}). */
  readonly onRefused?: (error: CoreError, api: 'orchqueue' | 'openai') => void;
}

export function guardedPlacer(placer: Placer, o: StreamGuardOptions): Placer {
  return {
    async decide(request: PlacementRequest, signal: AbortSignal): Promise<PlacementDecision> {
      const openAi = openAiRouteOf(request.path) !== undefined;
      let tenant: string;
      try {
        const credential = credentialFrom((name) => request.headers[name]);
        const principal = openAi
          ? o.policy.openAiDataPlane(credential)
          : o.policy.dataPlane(credential);
        if (request.taskId !== undefined && !openAi) {
          o.policy.checkTaskAccess(principal, o.taskTenant(request.taskId));
        }
        tenant = principal.tenant;
      } catch (error) {
        o.onRefused?.(error as CoreError, openAi ? 'openai' : 'orchqueue');
        throw error;
      }
      const decision = await placer.decide({ ...request, tenant }, signal);
      if (decision.kind !== 'route') return decision;
      const present = CREDENTIAL_HEADERS.filter((h) => request.headers[h] !== undefined);
      return present.length > 0 ? { ...decision, removeHeaders: present } : decision;
    },
  };
}
