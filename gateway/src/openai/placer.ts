// ORCH-3103: the OpenAI completion routes as placement sees them. Envoy sends the buffered body
// (ORCH-3104); this placer turns it into an OrchQueue task, admits it through the same TaskService
// as POST /v1/tasks (validation, quotas, fair share, sessions, deadlines, backpressure), then holds
// the request exactly like a stream request until the task's lease is accepted. Every other
// request goes to the inner placer unchanged.
import { randomUUID } from 'node:crypto';
import {
  messageText,
  openAiRouteOf,
  parseOpenAiRequest,
  requestedMaxTokens,
} from '@llama-orch/contracts';
import type { OpenAiRequest } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import type { Engine, Priority, TaskSpecInput } from '@llama-orch/core';
import type { Logger } from 'pino';
import type { PlacementDecision, PlacementRequest, Placer } from '../extproc/handler.js';
import type { Director } from '../dispatch/director.js';
import type { TaskService } from '../services/tasks.js';
import type { ReplicaRegistry } from '../replicas/registry.js';
import { openAiErrorDecision, openAiFromTerminal, ParamError } from './errors.js';

/** OpenAI leaves max_tokens open; a task needs a budget (prompt + max_tokens ≤ ctx). */
const OPENAI_DEFAULT_MAX_TOKENS = 256;
const SESSION_HEADER = 'x-orch-session-id';
const PRIORITY_HEADER = 'x-orch-priority';
const DEADLINE_HEADER = 'x-orch-deadline-ms';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What placement knows about a model a pool serves (from live registrations, else the config). */
interface ServedModel {
  readonly engine: Engine;
  readonly ctxMax: number;
  readonly samplerProfileVersion?: string;
  /**
   * Live replicas of the model exist and none registered strict determinism (external engines,
   * `--no-strict`): an OpenAI client cannot ask for `best_effort`, and a strict task could never
   * be accepted there, so its task asks for best effort (ORCH-3103).
   */
  readonly bestEffortOnly?: boolean;
}

interface OpenAiPlacerOptions {
  readonly tasks: TaskService;
  readonly director: Director;
  readonly registry: ReplicaRegistry;
  readonly pools: readonly { modelRef: string; engine: Engine; ctxMax: number }[];
  readonly log: Logger;
}

export function openAiPlacer(inner: Placer, o: OpenAiPlacerOptions): Placer {
  return {
    async decide(request: PlacementRequest, signal: AbortSignal): Promise<PlacementDecision> {
      const route = openAiRouteOf(request.path);
      if (route === undefined || request.method !== 'POST') return inner.decide(request, signal);
      try {
        const parsed = parseOpenAiRequest(route, request.body ?? '');
        let spec: TaskSpecInput;
        try {
          if (!parsed.ok) throw new ParamError(parsed.message, parsed.param);
          spec = taskSpec(parsed.request, request, served(o, parsed.request.body.model ?? ''));
        } catch (error) {
          // Refused before admission: still a task refused (tasks_rejected_total{api="openai"}).
          if (error instanceof CoreError) o.tasks.countInvalidBody(undefined, error, 'openai');
          throw error;
        }
        const admitted = o.tasks.admit(spec, request.tenant ?? 'default', false, 'openai');
        o.log.info(
          {
            task_id: admitted.task_id,
            api: 'openai',
            route,
            user: parsed.request.body.user,
            correlation_id: request.correlationId,
          },
          'openai request admitted',
        );
        const decision = await o.director.holdAdmitted(
          admitted.task_id,
          request.correlationId,
          signal,
        );
        if (decision.kind === 'respond' && decision.details.startsWith('orch_terminal_')) {
          return openAiFromTerminal(decision, request.correlationId);
        }
        return decision;
      } catch (error) {
        return openAiErrorDecision(error, request.correlationId);
      }
    },
  };
}

function served(o: OpenAiPlacerOptions, model: string): ServedModel {
  const replicas = o.registry.list().filter((r) => r.register.modelRef === model);
  const live = replicas[0];
  const bestEffortOnly =
    replicas.length > 0 && replicas.every((r) => !r.register.determinismStrict);
  const pool =
    o.pools.find((p) => p.modelRef === model) ??
    (live ? o.pools.find((p) => p.engine === live.engine) : undefined);
  if (live && pool) {
    return {
      engine: live.engine,
      ctxMax: pool.ctxMax,
      ...(live.register.samplerProfileVersion
        ? { samplerProfileVersion: live.register.samplerProfileVersion }
        : {}),
      ...(bestEffortOnly ? { bestEffortOnly } : {}),
    };
  }
  if (pool) return { engine: pool.engine, ctxMax: pool.ctxMax };
  throw new ParamError(`model ${model} is not served by this fleet`, 'model', 'NOT_FOUND');
}

function taskSpec(req: OpenAiRequest, http: PlacementRequest, model: ServedModel): TaskSpecInput {
  const b = req.body;
  const session = http.headers['x-orch-session-id'];
  if (session !== undefined && !UUID.test(session)) {
    throw new ParamError(`${SESSION_HEADER} must be a UUID`, SESSION_HEADER);
  }
  const priority = http.headers[PRIORITY_HEADER] ?? 'interactive';
  if (priority !== 'interactive' && priority !== 'batch') {
    throw new ParamError(`${PRIORITY_HEADER} must be interactive or batch`, PRIORITY_HEADER);
  }
  const deadlineText = http.headers[DEADLINE_HEADER];
  const deadline = deadlineText === undefined ? 0 : Number(deadlineText);
  if (!Number.isSafeInteger(deadline) || deadline < 0) {
    throw new ParamError(`${DEADLINE_HEADER} must be a non-negative integer`, DEADLINE_HEADER);
  }
  // Core estimates prompt tokens from this text; the sidecar decodes the body itself.
  const prompt =
    req.route === 'chat' ? req.body.messages.map(messageText).join('\n') : req.body.prompt;
  return {
    task_id: randomUUID(),
    ...(session !== undefined ? { session_id: session.toLowerCase() } : {}),
    workload: 'completion',
    model_ref: b.model ?? '',
    engine: model.engine,
    ctx: model.ctxMax,
    priority: priority as Priority,
    max_tokens: requestedMaxTokens(req) ?? OPENAI_DEFAULT_MAX_TOKENS,
    deadline_ms: deadline,
    prompt,
    ...(b.seed !== undefined && b.seed !== null ? { seed: b.seed } : {}),
    ...(model.bestEffortOnly ? { determinism: 'best_effort' as const } : {}),
    ...(model.samplerProfileVersion
      ? { sampler_profile_version: model.samplerProfileVersion }
      : {}),
    ...(http.correlationId ? { correlation_id: http.correlationId } : {}),
  };
}
