// Flags + config → a TaskRequest (the generated contract type). The model defaults to the one
// model the fleet serves (from GET /v1/replicasets) when neither flag, env nor config names one.
import type { Engine, Priority, TaskRequest } from '@llama-orch/contracts';
import { intFlag } from './args.js';
import { PRIORITIES } from './config.js';
import type { Ctx } from './context.js';
import { UsageError } from './render-error.js';

export const TASK_OPTIONS = {
  file: { type: 'string', short: 'f' },
  model: { type: 'string', short: 'm' },
  priority: { type: 'string', short: 'p' },
  'max-tokens': { type: 'string', short: 'n' },
  seed: { type: 'string' },
  session: { type: 'string' },
  deadline: { type: 'string' },
  ctx: { type: 'string' },
  'task-id': { type: 'string' },
} as const;

export interface TaskFlags {
  file?: string;
  model?: string;
  priority?: string;
  'max-tokens'?: string;
  seed?: string;
  session?: string;
  deadline?: string;
  ctx?: string;
  'task-id'?: string;
}

export async function buildTaskRequest(
  ctx: Ctx,
  flags: TaskFlags,
  positionals: string[],
): Promise<TaskRequest> {
  const prompt = await promptOf(ctx, flags.file, positionals);
  const priority = flags.priority ?? ctx.config.priority;
  if (!PRIORITIES.includes(priority as Priority)) {
    throw new UsageError(`--priority must be one of ${PRIORITIES.join('|')}, got ${priority}`);
  }
  const { model, engine } = await modelOf(ctx, flags.model);
  const seed = intFlag('seed', flags.seed);
  return {
    task_id: flags['task-id'] ?? ctx.io.uuid(),
    session_id: flags.session ?? ctx.io.uuid(),
    workload: 'completion',
    model_ref: model,
    engine,
    ctx: intFlag('ctx', flags.ctx, 1) ?? ctx.config.ctx,
    priority: priority as Priority,
    max_tokens: intFlag('max-tokens', flags['max-tokens'], 1) ?? ctx.config.maxTokens,
    deadline_ms: intFlag('deadline', flags.deadline) ?? ctx.config.deadlineMs,
    ...(seed !== undefined ? { seed } : {}),
    prompt,
  };
}

async function promptOf(
  ctx: Ctx,
  file: string | undefined,
  positionals: string[],
): Promise<string> {
  if (file !== undefined && positionals.length > 0) {
    throw new UsageError('give the prompt as an argument or with -f FILE, not both');
  }
  const prompt = file !== undefined ? await ctx.io.readFile(file) : positionals.join(' ');
  if (prompt.length === 0) throw new UsageError('a prompt is required (argument or -f FILE)');
  return prompt;
}

async function modelOf(
  ctx: Ctx,
  flag: string | undefined,
): Promise<{ model: string; engine: Engine }> {
  const named = flag ?? ctx.config.model;
  if (named) return { model: named, engine: ctx.config.engine };
  const sets = (await ctx.client.replicaSets()).replica_sets;
  const models = [...new Map(sets.map((s) => [`${s.engine}/${s.model_ref}`, s])).values()];
  const only = models[0];
  if (models.length === 1 && only) return { model: only.model_ref, engine: only.engine };
  if (models.length === 0) {
    // Replica sets are listed only while a replica is Ready: a drained or starting pool shows none.
    throw new UsageError(
      'no Ready replica serves a model right now (pools drained, reloading or starting? see ' +
        '`orchctl pools health POOL`); or name the model with --model (or ORCH_MODEL)',
    );
  }
  const served = models.map((s) => s.model_ref).join(', ');
  throw new UsageError(`name a model with --model (or ORCH_MODEL); the fleet serves: ${served}`);
}
