// ORCH-4007/4031: a sidecar that (re)registers re-reports the leases it still serves
// (Register.active_leases). Each is adopted into core, so the slot stays taken, a cancel reaches the
// sidecar and the lease's LeaseFinished ends the task once. A lease whose task the admission
// journal saw end is canceled on the sidecar instead: a task never ends twice (ORCH-4030). So is a
// lease core refuses (its task already runs under another lease): nothing else would ever end it.
import type { Scheduler } from '@llama-orch/core';
import type { ReplicaRecord, ReplicaRegistry } from './registry.js';

interface LeaseAdoptionDeps {
  readonly core: Pick<Scheduler, 'adoptLease'>;
  readonly registry: Pick<ReplicaRegistry, 'send'>;
  /** The admission journal's view of ended tasks; absent when no journal is configured. */
  readonly ended?: (taskId: string) => boolean;
  readonly log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Told of each adopted lease's task, after core adopted it (a held stream request may wait). */
  readonly adopted?: (taskId: string) => void;
}

interface AdoptionReport {
  readonly adopted: number;
  readonly canceled: number;
  readonly refused: number;
}

/** Call once per registration, after the replica is upserted into core. */
export function adoptReportedLeases(record: ReplicaRecord, d: LeaseAdoptionDeps): AdoptionReport {
  let adopted = 0;
  let canceled = 0;
  let refused = 0;
  for (const lease of record.register.activeLeases) {
    const fields = {
      replica_id: record.replicaId,
      lease_id: lease.leaseId,
      task_id: lease.taskId,
    };
    const cancel = (reason: string): void => {
      d.registry.send(record.replicaId, {
        cmd: { $case: 'cancel', value: { leaseId: lease.leaseId, taskId: lease.taskId, reason } },
      });
    };
    if (d.ended?.(lease.taskId)) {
      cancel('task_ended');
      d.log.warn(fields, 'control: re-reported lease of an ended task canceled');
      canceled++;
      continue;
    }
    const result = d.core.adoptLease({
      leaseId: lease.leaseId,
      taskId: lease.taskId,
      replicaId: record.replicaId,
    });
    if (result.ok) {
      adopted++;
      d.adopted?.(lease.taskId);
    } else {
      // A conflict (e.g. the task was dispatched again, under another lease, before this replica
      // came back). Placement will never end this lease, so the sidecar must: left alone, an
      // unclaimed lease would hold its slot until the sidecar's lease TTL (60 s), and Assigns to
      // it would be refused meanwhile.
      cancel('lease_refused');
      d.log.warn(
        { ...fields, err: result.error.message },
        'control: re-reported lease refused and canceled',
      );
      refused++;
    }
  }
  if (record.register.activeLeases.length > 0) {
    d.log.info(
      { replica_id: record.replicaId, adopted, canceled, refused },
      'control: re-reported leases adopted',
    );
  }
  return { adopted, canceled, refused };
}
