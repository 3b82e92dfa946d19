// The stack the Envoy-level gateway tests share: the real gateway in-process (free ports), one fake
// sidecar registered on its control port, and real Envoy in front (envoy-edge.ts), plus the task
// body and the submit/stream requests every such test sends through the edge.
import type { TaskRequest } from '@llama-orch/contracts';
import { runLogWriter } from '@llama-orch/tools';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { startGateway } from '../../src/index.js';
import type { GatewayHandle, GatewayOptions } from '../../src/index.js';
import { taskRequest } from './sidecar-messages.js';
import { startEnvoyEdge } from './envoy-edge.js';
import type { EnvoyEdge } from './envoy-edge.js';
import { startFakeSidecar } from './fake-sidecar.js';
import type { FakeSidecar } from './fake-sidecar.js';

export const EDGE_MODEL = 'fake-model';
export const EDGE_POOL = 'pool-a';

type Headers = Record<string, string>;

/** A POST /v1/tasks body for EDGE_MODEL: 8 tokens of "Say hello", a fresh session unless given. */
export function edgeTaskBody(taskId: string, extra: Partial<TaskRequest> = {}): TaskRequest {
  return taskRequest({
    task_id: taskId,
    model_ref: EDGE_MODEL,
    ctx: 256,
    max_tokens: 8,
    prompt: 'Say hello',
    ...extra,
  });
}

export interface EdgeStack {
  readonly gateway: GatewayHandle;
  readonly sidecar: FakeSidecar;
  readonly edge: EnvoyEdge;
  /** http://127.0.0.1:<envoy listener> */
  readonly url: string;
  submit(taskId: string, headers?: Headers, extra?: Partial<TaskRequest>): Promise<Response>;
  stream(taskId: string, headers?: Headers, signal?: AbortSignal): Promise<Response>;
  /** Stops Envoy, the sidecar and the gateway (each at most once). */
  close(): Promise<void>;
}

/**
 * ORCH-3141: with a run log directory (LLAMA_ORCH_RUN_LOGS) the gateway logs at debug into it, so
 * the key scan after the run searches what it wrote; otherwise it is silent.
 */
function runLogger(): Logger | 'silent' {
  const write = runLogWriter('edge-gateway');
  return write ? pino({ level: 'debug' }, { write }) : 'silent';
}

/**
 * @param options gateway options beyond the free ports and the one-pool scheduler (logger, auth,
 *   tenants...); `scheduler` replaces the default one-pool config when given
 */
export async function startEdgeStack(options: Partial<GatewayOptions> = {}): Promise<EdgeStack> {
  const gateway = await startGateway({
    restPort: 0,
    extProcPort: 0,
    controlPort: 0,
    logger: runLogger(),
    scheduler: {
      pools: [{ id: EDGE_POOL, engine: 'llamacpp', modelRef: EDGE_MODEL, ctxMax: 2048 }],
    },
    ...options,
  });
  let sidecar: FakeSidecar | undefined;
  let edge: EnvoyEdge | undefined;
  const close = async (): Promise<void> => {
    await edge?.close();
    await sidecar?.close();
    await gateway.close();
    edge = undefined;
    sidecar = undefined;
  };
  try {
    sidecar = await startFakeSidecar({
      controlPort: gateway.controlPort,
      replicaId: 'fake-a',
      poolId: EDGE_POOL,
      modelRef: EDGE_MODEL,
    });
    edge = await startEnvoyEdge(gateway);
  } catch (error) {
    await close();
    throw error;
  }
  const url = edge.url;
  return {
    gateway,
    sidecar,
    edge,
    url,
    submit: (taskId, headers = {}, extra = {}) =>
      fetch(`${url}/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(edgeTaskBody(taskId, extra)),
      }),
    stream: (taskId, headers = {}, signal) =>
      fetch(`${url}/v1/tasks/${taskId}/stream`, { headers, ...(signal ? { signal } : {}) }),
    close,
  };
}
