// A fake placement control server for tests: acks Register, records every SidecarMessage, and
// lets the test push Assign / Cancel / Drain to the connected sidecar.
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  PlacementService,
  type PlacementCommand,
  type PlacementServer,
  type SidecarMessage,
  type TaskSpec,
} from '@llama-orch/proto';

export interface FakePlacement {
  address: string;
  port: number;
  messages: SidecarMessage[];
  connected(): boolean;
  push(cmd: PlacementCommand): void;
  assign(
    leaseId: string,
    task: Partial<TaskSpec> & { taskId: string },
    extra?: { queuePosition?: number; predictedStartMs?: number },
  ): void;
  cancel(leaseId: string, taskId: string): void;
  /** Resolves when a message matching pred arrives (bounded by timeoutMs). */
  waitFor(pred: (m: SidecarMessage) => boolean, timeoutMs?: number): Promise<SidecarMessage>;
  close(): Promise<void>;
}

export async function startFakePlacement(port = 0): Promise<FakePlacement> {
  const messages: SidecarMessage[] = [];
  const waiters: { pred: (m: SidecarMessage) => boolean; resolve: (m: SidecarMessage) => void }[] =
    [];
  let current: ServerDuplexStream<SidecarMessage, PlacementCommand> | undefined;
  const impl: PlacementServer = {
    connect: (call) => {
      current = call;
      call.on('data', (m: SidecarMessage) => {
        messages.push(m);
        if (m.msg?.$case === 'register')
          call.write({ cmd: { $case: 'ack', value: { accepted: true, message: 'ok' } } });
        for (const w of [...waiters]) {
          if (w.pred(m)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
      call.on('cancelled', () => {
        if (current === call) current = undefined;
      });
    },
  };
  const server = new Server();
  server.addService(PlacementService, impl);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const push = (cmd: PlacementCommand): void => {
    if (!current) throw new Error('no sidecar connected');
    current.write(cmd);
  };
  return {
    address: `127.0.0.1:${bound}`,
    port: bound,
    messages,
    connected: () => current !== undefined,
    push,
    assign: (leaseId, task, extra) =>
      push({
        cmd: {
          $case: 'assign',
          value: {
            leaseId,
            queuePosition: extra?.queuePosition ?? 0,
            predictedStartMs: extra?.predictedStartMs ?? 0,
            kvWarmth: false,
            task: {
              sessionId: '',
              tenant: 't',
              workload: 'completion',
              modelRef: 'm',
              engine: 'llamacpp',
              ctx: 2048,
              priority: 'interactive',
              maxTokens: 16,
              deadlineMs: 0,
              determinism: 'best_effort',
              samplerProfileVersion: 'v1',
              prompt: 'hello',
              correlationId: '',
              promptFormat: 'raw',
              idleTimeoutMs: 0,
              wallTimeoutMs: 0,
              ...task,
            },
          },
        },
      }),
    cancel: (leaseId, taskId) =>
      push({ cmd: { $case: 'cancel', value: { leaseId, taskId, reason: 'client' } } }),
    waitFor: (pred, timeoutMs = 5000) => {
      const hit = messages.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (m: SidecarMessage) => (clearTimeout(t), resolve(m)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`fake placement: no matching message within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () =>
      new Promise<void>((r) => {
        server.forceShutdown();
        current = undefined;
        r();
      }),
  };
}
