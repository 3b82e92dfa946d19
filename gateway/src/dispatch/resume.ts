// ORCH-4032: a stream request that carries Last-Event-ID (or ?last_event_id=) reconnects to a
// stream that already ran. When its task holds (or held) a lease on a replica that is still
// connected, the request goes back to that replica with that lease, and the sidecar replays the
// events after the id from its log, then the live ones. A queued task (never streamed) takes the
// normal path; a stream whose replica is gone cannot be resumed: a typed error, never a stream
// that skips events.
import { lastEventIdOf } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import type { TaskView, TerminalEvent } from '@llama-orch/core';
import type { PlacementDecision, PlacementRequest } from '../extproc/handler.js';
import type { ReplicaRegistry } from '../replicas/registry.js';
import {
  DESTINATION_HEADER,
  ENDPOINT_PICKER_NAMESPACE,
  LEASE_HEADER,
  RESUME_HEADER,
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
 * Where a request resuming after event `afterId` of `taskId`'s stream goes: its lease's replica;
 * for a task that failed or was canceled after its replica lost the stream (the replica died or
 * re-registered since), the task's terminal event as the next event (id `afterId + 1`), so the
 * client still ends with exactly one terminal event (a completed one is LEASE_INVALID: its missing
 * tokens are gone); `afterId` -1 (a reconnect without an id) asks the sidecar for the stream from
 * its first event; undefined when the task never streamed (queued, or ended before it was
 * routed) and takes the normal path.
 */
export function resumeDecision(
  view: TaskView | undefined,
  registry: Pick<ReplicaRegistry, 'get'>,
  taskId: string,
  afterId: number,
  terminalReply: (event: TerminalEvent, id: number) => PlacementDecision,
): PlacementDecision | undefined {
  if (!view) throw new CoreError('NOT_FOUND', `task ${taskId} not found`);
  const terminal = view.terminal;
  const leaseId = terminal?.leaseId ?? view.leaseId;
  const replicaId = terminal?.replicaId ?? view.replicaId;
  if (view.state === 'queued' || leaseId === undefined || replicaId === undefined) return undefined;
  const record = registry.get(replicaId);
  // A registration newer than the task's end cannot hold its stream's events.
  if (terminal && (!record || record.connectedAt > terminal.at)) {
    // A completed stream's missing tokens are gone with the replica: never an `end` after a gap.
    // A failed or canceled one ends with its terminal event, as it would have.
    if (terminal.state === 'completed') {
      throw new CoreError(
        'LEASE_INVALID',
        `stream of task ${taskId} cannot be resumed: replica ${replicaId} no longer holds it`,
      );
    }
    return terminalReply(terminal, afterId + 1);
  }
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
      // Without an id the client has seen nothing it can name: the sidecar starts at event 0.
      ...(afterId < 0 ? { [RESUME_HEADER]: 'start' } : {}),
    },
    dynamicMetadata: { [ENDPOINT_PICKER_NAMESPACE]: { [DESTINATION_HEADER]: address } },
  };
}
