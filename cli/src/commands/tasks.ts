// submit, stream, run, cancel: the task lifecycle (ORCH-2001, 2002, 2003).
import type { AdmissionResponse } from '@llama-orch/contracts';
import { onePositional } from '../args.js';
import type { Ctx } from '../context.js';
import { printJson } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { duration } from '../format.js';
import { renderError } from '../render-error.js';
import { StreamView } from '../stream-view.js';
import { buildTaskRequest } from '../task-request.js';
import type { TaskFlags } from '../task-request.js';

export async function submit(ctx: Ctx, flags: TaskFlags, positionals: string[]): Promise<ExitCode> {
  const task = await buildTaskRequest(ctx, flags, positionals);
  const admitted = await ctx.client.submit(task);
  if (ctx.json) {
    printJson(ctx, admitted);
  } else {
    ctx.io.stdout.write(`${admitted.task_id}\n`);
    ctx.io.stderr.write(admissionLine(admitted));
  }
  return EXIT.OK;
}

export async function stream(ctx: Ctx, positionals: string[]): Promise<ExitCode> {
  const taskId = onePositional(positionals, 'task id');
  return watch(ctx, taskId, new StreamView(ctx.io, { json: ctx.json }), undefined);
}

/** submit + stream; Ctrl-C cancels the task on the server and exits 130. */
export async function run(ctx: Ctx, flags: TaskFlags, positionals: string[]): Promise<ExitCode> {
  const task = await buildTaskRequest(ctx, flags, positionals);
  const admitted = await ctx.client.submit(task);
  if (!ctx.json) ctx.io.stderr.write(`task ${admitted.task_id}\n`);
  return watch(
    ctx,
    admitted.task_id,
    new StreamView(ctx.io, { json: ctx.json, admission: admitted }),
    {
      cancelOnInterrupt: true,
    },
  );
}

export async function cancel(ctx: Ctx, positionals: string[]): Promise<ExitCode> {
  const taskId = onePositional(positionals, 'task id');
  await ctx.client.cancel(taskId);
  ctx.io.stdout.write(`canceled ${taskId}\n`);
  return EXIT.OK;
}

interface WatchOptions {
  readonly cancelOnInterrupt: boolean;
}

async function watch(
  ctx: Ctx,
  taskId: string,
  view: StreamView,
  opts: WatchOptions | undefined,
): Promise<ExitCode> {
  const abort = new AbortController();
  let interrupted = false;
  const unsubscribe = ctx.io.onInterrupt(() => {
    interrupted = true;
    abort.abort();
  });
  try {
    view.waiting(taskId);
    for await (const event of ctx.client.stream(taskId, abort.signal)) {
      const exit = view.event(event);
      if (exit !== undefined) return exit;
    }
    return EXIT.FAILURE; // stream() throws before this when no terminal event came
  } catch (error) {
    view.abort();
    if (!interrupted) throw error;
    return interruptedExit(ctx, taskId, opts?.cancelOnInterrupt === true);
  } finally {
    unsubscribe();
  }
}

async function interruptedExit(ctx: Ctx, taskId: string, cancelIt: boolean): Promise<ExitCode> {
  if (!cancelIt) {
    ctx.io.stderr.write(`interrupted; task ${taskId} keeps its place (orchctl cancel ${taskId})\n`);
    return EXIT.INTERRUPTED;
  }
  try {
    await ctx.client.cancel(taskId);
    ctx.io.stderr.write(`interrupted; canceled task ${taskId} on the server\n`);
  } catch (error) {
    ctx.io.stderr.write(`interrupted; cancel of ${taskId} failed:\n${renderError(error).text}`);
  }
  return EXIT.INTERRUPTED;
}

function admissionLine(a: AdmissionResponse): string {
  const backoff = a.backoff_ms > 0 ? ` · server asks to back off ${duration(a.backoff_ms)}` : '';
  return `queued at position ${a.queue_position} · predicted start ~${duration(a.predicted_start_ms)}${backoff}\n`;
}
