// A small, fixed workload with every outcome the metrics contract must count: completed streams,
// one admission rejection and one client cancel mid-stream. Everything goes through Envoy.
import { cancel, stream, submit, taskBody, tokens } from './client.js';
import type { Event } from './client.js';

export interface WorkloadResult {
  /** Token events seen on every stream, summed. */
  tokenEvents: number;
  /** Tasks admitted (202). */
  admitted: number;
  /** Tasks refused at admission, by error code. */
  rejected: string[];
  canceled: number;
  streams: Event[][];
  taskIds: string[];
  correlationIds: string[];
}

export async function runWorkload(base: string, completed = 2): Promise<WorkloadResult> {
  const result: WorkloadResult = {
    tokenEvents: 0,
    admitted: 0,
    rejected: [],
    canceled: 0,
    streams: [],
    taskIds: [],
    correlationIds: [],
  };
  const admit = async (body: ReturnType<typeof taskBody>): Promise<boolean> => {
    const correlationId = `obs-${body.task_id}`;
    const r = await submit(base, body, { 'x-correlation-id': correlationId });
    if (r.status !== 202) {
      result.rejected.push(String(r.body.code));
      return false;
    }
    result.admitted += 1;
    result.taskIds.push(body.task_id);
    result.correlationIds.push(correlationId);
    return true;
  };

  for (let i = 0; i < completed; i++) {
    const body = taskBody({ max_tokens: 12, seed: 100 + i });
    if (!(await admit(body))) throw new Error(`task ${i} was not admitted`);
    result.streams.push(await stream(base, body.task_id));
  }

  // ORCH-3014: ctx above the pool's ctx_max is refused before enqueue.
  await admit(taskBody({ ctx: 1_000_000 }));

  // ORCH-3017: cancel after the first token; the stream must still end with one terminal event.
  const long = taskBody({ max_tokens: 64, seed: 7 });
  if (!(await admit(long))) throw new Error('cancel task was not admitted');
  let sent: Promise<number> | undefined;
  const events = await stream(base, long.task_id, (ev) => {
    if (ev.event === 'token' && !sent) sent = cancel(base, long.task_id);
  });
  if ((await sent) === 204) result.canceled += 1;
  result.streams.push(events);

  result.tokenEvents = result.streams.reduce((n, s) => n + tokens(s), 0);
  return result;
}
