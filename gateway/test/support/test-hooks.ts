// Test-only provider-state hook for consumer-driven contract verification (Pact) and BDD steps.
//
// NEVER part of a production deployment: it lives under test/support, and only the test entry point
// (main-with-test-hooks.ts) registers it. Even then the routes exist only when ALL of these hold:
//   1. env LLAMA_ORCH_TEST_HOOKS=1 is set explicitly for the gateway process,
//   2. NODE_ENV is not "production",
// and every request is refused (403 FORBIDDEN) unless
//   3. the REST server is bound to a loopback address (127.0.0.0/8, ::1), and
//   4. the request did not come through Envoy (no x-forwarded-for / x-envoy-* headers).
// Envoy does not route `/_test/*` anyway (its catch-all answers 404), so the hook is reachable
// only on the gateway's loopback REST port, i.e. by a test on the same machine.
//
// POST /_test/provider-states  {op, ...}
//   {op:"admit", task: TaskRequest}          admit a task (the normal admission path); its id is
//                                            remembered for "reset"; answers the AdmissionResponse
//   {op:"fill-queue", template: TaskRequest} admit copies of the template (fresh task ids) until
//                                            admission answers 429; answers {admitted, code}
//   {op:"reset"}                             cancel every task this hook admitted; {canceled}
//   {op:"pool", pool_id, action:"drain"|"undrain"}
//                                            put a pool in the state a control-plane interaction
//                                            expects (drain: deadline 60 s); answers {pool_id, action}
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { formatIssues, validateTaskRequest } from '@llama-orch/contracts';
import type { TaskRequest } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { PoolService } from '../../src/services/pools.js';
import type { TaskService } from '../../src/services/tasks.js';

export const TEST_HOOKS_ENV = 'LLAMA_ORCH_TEST_HOOKS';
export const TEST_HOOKS_PATH = '/_test/provider-states';
/** A queue larger than this is not a test queue; stop filling instead of looping on. */
const MAX_FILL = 10_000;

interface TestHookDeps {
  readonly tasks: TaskService;
  /** For the "pool" op (absent: that op answers 400). */
  readonly pools?: PoolService;
  /** Tenant the hook admits tasks for (default "default"). */
  readonly tenant?: string;
  /** Defaults to process.env; tests of this module pass their own. */
  readonly env?: NodeJS.ProcessEnv;
}

function testHooksEnabled(env: NodeJS.ProcessEnv): boolean {
  return env[TEST_HOOKS_ENV] === '1' && env.NODE_ENV !== 'production';
}

export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function refusal(request: FastifyRequest): string | undefined {
  const bound = request.server.server.address() as AddressInfo | string | null;
  if (!bound || typeof bound === 'string' || !isLoopbackAddress(bound.address)) {
    return 'test hooks refuse to run on a non-loopback bind';
  }
  const h = request.headers;
  if (h['x-forwarded-for'] !== undefined || Object.keys(h).some((k) => k.startsWith('x-envoy-'))) {
    return 'test hooks are not reachable through the edge';
  }
  return undefined;
}

function checkedTask(value: unknown): TaskRequest {
  const checked = validateTaskRequest(value);
  if (!checked.ok) throw new CoreError('INVALID_PARAMS', formatIssues(checked.issues));
  return checked.value;
}

interface HookBody {
  op?: unknown;
  task?: unknown;
  template?: unknown;
  pool_id?: unknown;
  action?: unknown;
}

export const testHookRoutes: FastifyPluginAsync<TestHookDeps> = async (app, deps) => {
  if (!testHooksEnabled(deps.env ?? process.env)) return;
  const admitted = new Set<string>();
  const admit = async (task: TaskRequest, correlationId: string) => {
    const result = await deps.tasks.submit(task, deps.tenant ?? 'default', correlationId);
    admitted.add(result.task_id);
    return result;
  };

  app.post<{ Body: HookBody }>(TEST_HOOKS_PATH, async (request, reply) => {
    const refused = refusal(request);
    if (refused) throw new CoreError('FORBIDDEN', refused);
    const body = request.body ?? {};
    switch (body.op) {
      case 'admit':
        return reply.code(200).send(await admit(checkedTask(body.task), request.correlationId));
      case 'fill-queue': {
        const template = checkedTask(body.template);
        for (let n = 0; n < MAX_FILL; n++) {
          try {
            await admit({ ...template, task_id: randomUUID() }, request.correlationId);
          } catch (error) {
            if (error instanceof CoreError && error.httpStatus === 429) {
              return { admitted: n, code: error.code };
            }
            throw error;
          }
        }
        throw new CoreError('INVALID_PARAMS', `queue did not fill within ${MAX_FILL} tasks`);
      }
      case 'reset': {
        let canceled = 0;
        for (const id of admitted) {
          try {
            deps.tasks.cancel(id);
            canceled += 1;
          } catch {
            // Already finished and forgotten: nothing left to cancel.
          }
        }
        admitted.clear();
        return { canceled };
      }
      case 'pool': {
        const { pool_id: poolId, action } = body;
        if (
          !deps.pools ||
          typeof poolId !== 'string' ||
          (action !== 'drain' && action !== 'undrain')
        ) {
          throw new CoreError('INVALID_PARAMS', 'pool needs pool_id and action drain|undrain');
        }
        if (action === 'drain') deps.pools.drain(poolId, 60_000);
        else deps.pools.undrain(poolId);
        return { pool_id: poolId, action };
      }
      default:
        throw new CoreError('INVALID_PARAMS', `unknown test hook op ${String(body.op)}`);
    }
  });
};
