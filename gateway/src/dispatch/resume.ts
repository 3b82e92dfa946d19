// ORCH-4032: a stream request that carries Last-Event-ID (or ?last_event_id=) reconnects to a
// stream that already ran. When its task holds (or held) a lease on a replica that is still
// connected, the request goes back to that replica with that lease, and the sidecar replays the
// events after the id from its log, then the live ones. A queued task (never streamed) takes the
// normal path; a stream whose replica is gone cannot be resumed: a typed error, never a stream
// that skips events.
import { lastEventIdOf } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import type { Scheduler } from '@llama-orch/core';
import type { PlacementDecision, PlacementRequest } from '../extproc/handler.js';
import type { ReplicaRegistry } from '../replicas/registry.js';
import {
  DESTINATION_HEADER,
  ENDPOINT_PICKER_NAMESPACE,
  LEASE_HEADER,
  TASK_HEADER,
} from './director-types.js';

/** The event id the request resumes after; undefined for a fresh stream request. */
export function resumePoint(request: PlacementRequest): number | undefined {
  const rawPath = request.headers[':path'] ?? '';
  const query = rawPath.includes('?')
    ? (new URLSearchParams(rawPath.slice(rawPath.indexOf('?') + 1)).get('last_event_id') ??
      undefined)
    : undefined;
  const point = lastEventIdOf(request.headers['last-event-id'], query);
  if (point === 'invalid') {
    throw new CoreError(
      'INVALID_PARAMS',
      'Last-Event-ID / last_event_id must be a non-negative integer event id',
    );
  }
  return point;
}

/**
 * Where a resuming request for `taskId` goes: its lease's replica, or undefined when the task
 * never streamed (queued, or ended before it was routed) and takes the normal path.
 */
export function resumeDecision(
  core: Pick<Scheduler, 'task'>,
  registry: Pick<ReplicaRegistry, 'get'>,
  taskId: string,
): PlacementDecision | undefined {
  const view = core.task(taskId);
  if (!view) throw new CoreError('NOT_FOUND', `task ${taskId} not found`);
  const leaseId = view.terminal?.leaseId ?? view.leaseId;
  const replicaId = view.terminal?.replicaId ?? view.replicaId;
  if (view.state === 'queued' || leaseId === undefined || replicaId === undefined) return undefined;
  const record = registry.get(replicaId);
  if (!record) {
    throw new CoreError(
      'LEASE_INVALID',
      `stream of task ${taskId} cannot be resumed: replica ${replicaId} is gone`,
    );
  }
  const address = record.register.advertiseAddress;
  return {
    kind: 'route',
    setHeaders: {
      [DESTINATION_HEADER]: address,
      [LEASE_HEADER]: leaseId,
      [TASK_HEADER]: taskId,
    },
    dynamicMetadata: { [ENDPOINT_PICKER_NAMESPACE]: { [DESTINATION_HEADER]: address } },
  };
}
