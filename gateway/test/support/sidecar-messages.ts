// A scripted sidecar on a fake control stream: it serves every Assign at once (accepted, started,
// finished) and answers Reload the way the real one does (placement.proto): ReloadResult, then on
// success a fresh control stream whose Register carries the new identity; on failure it stays
// Unready with `self-test <step>: ...` until the next Reload. The message builders and the task
// body below are shared with the gRPC fake of the Envoy-level tests (test/support/fake-sidecar.ts).
import { randomUUID } from 'node:crypto';
import type {
  LeaseFinished,
  PlacementCommand,
  Register,
  Reload,
  SidecarMessage,
} from '@llama-orch/proto';
import type { TaskRequest } from '@llama-orch/contracts';
import { FakeControlCall, MODEL_REF, register } from './harness.js';
import type { Harness } from './harness.js';

/** A Heartbeat as a fake sidecar sends it: no running or waiting work, no KV pressure. */
export function heartbeatMessage(slotsFree: number, ready = true, reason = ''): SidecarMessage {
  return {
    msg: {
      $case: 'heartbeat',
      value: { ready, unreadyReason: reason, slotsFree, running: 0, waiting: 0, kvUsageRatio: 0 },
    },
  };
}

/** A lease event: accepted, started, or finished with the given outcome. */
export function leaseMessage(
  lease: { readonly leaseId: string; readonly taskId: string },
  event: 'accepted' | 'started' | LeaseFinished,
): SidecarMessage {
  const { leaseId, taskId } = lease;
  return {
    msg: {
      $case: 'lease',
      value: {
        leaseId,
        taskId,
        event:
          event === 'accepted'
            ? { $case: 'accepted', value: {} }
            : event === 'started'
              ? { $case: 'started', value: {} }
              : { $case: 'finished', value: event },
      },
    },
  };
}

/** A lease that ended with `stop` after `tokensOut` tokens (3 prompt tokens). */
export function finishedStop(
  tokensOut: number,
  firstTokenMs: number,
  decodeTimeMs: number,
): LeaseFinished {
  return { reason: 'stop', errorCode: '', tokensIn: 3, tokensOut, firstTokenMs, decodeTimeMs };
}

/** What the fake does with a Reload: switch, fail a self-test step, or never answer. */
type ReloadBehaviour =
  | { readonly kind: 'ok'; readonly digest: string }
  | { readonly kind: 'fail'; readonly step: string; readonly message: string }
  | { readonly kind: 'silent' };

export class FakeSidecar {
  call!: FakeControlCall;
  readonly reloads: Reload[] = [];
  readonly assigned: string[] = [];
  /** Assigns that arrived between a Reload and the replica's return (must stay 0). */
  assignedWhileReloading = 0;
  private reloading = false;
  identity: Register;
  /** Reload target ref → behaviour (default: ok with a digest derived from the ref). */
  behaviour: (reload: Reload) => ReloadBehaviour = (r) => ({
    kind: 'ok',
    digest: digestOf(r.newModelRef),
  });
  /** How each lease ends (default: stop after 4 tokens). */
  finish: () => LeaseFinished = () => finishedStop(4, 20, 40);
  /** Called before each Reload is answered (tests sample the fleet here). */
  onReload: ((reload: Reload) => void) | undefined;

  constructor(
    private readonly h: Harness,
    reg: Partial<Register>,
  ) {
    this.identity = register(reg);
    this.connect();
  }

  get replicaId(): string {
    return this.identity.replicaId;
  }

  heartbeat(ready: boolean, reason = ''): void {
    this.call.push(heartbeatMessage(ready ? this.identity.slots : 0, ready, reason));
  }

  private connect(): void {
    const call = new FakeControlCall();
    call.onCommand = (cmd) => this.command(cmd);
    this.call = call;
    this.h.registry.handleConnect(call);
    call.push({ msg: { $case: 'register', value: this.identity } });
    this.heartbeat(true);
  }

  private command(cmd: PlacementCommand): void {
    const c = cmd.cmd;
    if (c?.$case === 'assign' && c.value.task) {
      const lease = { leaseId: c.value.leaseId, taskId: c.value.task.taskId };
      this.assigned.push(c.value.task.taskId);
      if (this.reloading) this.assignedWhileReloading++;
      const call = this.call;
      setImmediate(() => {
        call.push(leaseMessage(lease, 'accepted'));
        call.push(leaseMessage(lease, 'started'));
        setTimeout(() => call.push(leaseMessage(lease, this.finish())), 5);
      });
    }
    if (c?.$case === 'reload') {
      const reload = c.value;
      this.reloads.push(reload);
      this.reloading = true;
      setImmediate(() => this.reload(reload));
    }
  }

  private reload(r: Reload): void {
    this.onReload?.(r);
    const b = this.behaviour(r);
    if (b.kind === 'silent') {
      this.heartbeat(false, 'reloading');
      return;
    }
    const result = {
      reloadId: r.reloadId,
      ok: b.kind === 'ok',
      failedStep: b.kind === 'fail' ? b.step : '',
      message: b.kind === 'fail' ? `self-test ${b.step}: ${b.message}` : `serving ${r.newModelRef}`,
      modelRef: b.kind === 'ok' ? r.newModelRef : '',
      modelDigest: b.kind === 'ok' ? b.digest : '',
    };
    this.call.push({ msg: { $case: 'reloadResult', value: result } });
    if (b.kind === 'fail') {
      this.heartbeat(false, result.message);
      return;
    }
    this.identity = { ...this.identity, modelRef: r.newModelRef, modelDigest: b.digest };
    this.reloading = false;
    this.connect();
  }
}

/** A stable fake digest (64 hex) for a model ref. */
export function digestOf(ref: string): string {
  let hex = '';
  for (let i = 0; hex.length < 64; i++)
    hex += ((ref.charCodeAt(i % ref.length) * 31 + i) % 16).toString(16);
  return hex;
}

/** A valid POST /v1/tasks body: 4 tokens of "hi" at ctx 512, a fresh task and session id. */
export function taskRequest(overrides: Partial<TaskRequest> = {}): TaskRequest {
  return {
    task_id: randomUUID(),
    session_id: randomUUID(),
    workload: 'completion',
    model_ref: MODEL_REF,
    engine: 'llamacpp',
    ctx: 512,
    priority: 'interactive',
    max_tokens: 4,
    deadline_ms: 0,
    prompt: 'hi',
    ...overrides,
  };
}

/** Submit one task and hold its stream request until placement decides; the decision kind. */
export async function runTask(h: Harness, modelRef: string): Promise<string> {
  const task = taskRequest({ model_ref: modelRef });
  const id = task.task_id;
  h.tasks.submit(task, 'default', 'corr');
  const decision = await h.director.decide(
    { method: 'GET', path: `/v1/tasks/${id}/stream`, taskId: id, correlationId: 'c', headers: {} },
    new AbortController().signal,
  );
  return decision.kind;
}
