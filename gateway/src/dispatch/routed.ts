// What the director does once a sidecar accepted an Assign: count the start, log the routing with
// the task's identifiers (ORCH-3027), and build the route decision Envoy acts on (ORCH-4003).
import type { Dispatch } from '@llama-orch/core';
import type { PlacementDecision } from '../extproc/handler.js';
import type { ReplicaRecord } from '../replicas/registry.js';
import {
  DESTINATION_HEADER,
  ENDPOINT_PICKER_NAMESPACE,
  LEASE_HEADER,
  REPLICA_SET_HEADER,
  SEED_HEADER,
  TASK_HEADER,
} from './director-types.js';
import type { DirectorOptions, TaskMeta } from './director-types.js';

export function routeAccepted(
  o: Pick<DirectorOptions, 'metrics' | 'log'>,
  d: Dispatch,
  record: ReplicaRecord,
  meta: TaskMeta | undefined,
): PlacementDecision {
  o.metrics.tasksStarted.inc({
    engine: d.task.engine,
    engine_version: record.register.engineVersion || 'unknown',
    pool_id: d.poolId,
    replica_id: d.replicaId,
    priority: d.task.priority,
    api: meta?.api ?? 'orchqueue',
  });
  o.log.info(
    {
      task_id: d.taskId,
      session_id: d.task.session_id,
      tenant: d.task.tenant,
      lease_id: d.leaseId,
      replica_id: d.replicaId,
      pool_id: d.poolId,
      kv_warmth: d.kvWarmth,
      queue_time_ms: d.queueTimeMs,
      correlation_id: d.task.correlation_id,
      api: meta?.api ?? 'orchqueue',
    },
    'stream routed',
  );
  return {
    kind: 'route',
    setHeaders: {
      [DESTINATION_HEADER]: record.register.advertiseAddress,
      [LEASE_HEADER]: d.leaseId,
      // ORCH-3103/3105: the OpenAI routes carry no task id in the path; the sidecar reports the
      // seed that ran and the replica set (system_fingerprint) from these.
      [TASK_HEADER]: d.taskId,
      [SEED_HEADER]: String(d.task.seed),
      [REPLICA_SET_HEADER]: d.replicaSetKey,
    },
    // ORCH-4018: the endpoint-picker protocol's second channel, for gateways (InferencePool) that
    // route on `envoy.lb` metadata rather than on the header; both carry the same ip:port.
    dynamicMetadata: {
      [ENDPOINT_PICKER_NAMESPACE]: { [DESTINATION_HEADER]: record.register.advertiseAddress },
    },
  };
}
