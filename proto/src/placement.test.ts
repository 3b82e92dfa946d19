import { afterAll, describe, expect, it } from 'vitest';
import { Server, ServerCredentials, credentials } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import {
  PlacementClient,
  PlacementCommand,
  PlacementService,
  SidecarMessage,
  TaskSpec,
} from './index.js';
import type { PlacementServer } from './index.js';

const register: SidecarMessage = {
  msg: {
    $case: 'register',
    value: {
      replicaId: 'r-0',
      poolId: 'pool-a',
      engine: 'llamacpp',
      engineVersion: 'b6000',
      modelRef: 'hf:HuggingFaceTB/SmolLM2-135M-Instruct',
      modelDigest: 'sha256:' + 'ab'.repeat(32),
      samplerProfileVersion: 'v1',
      advertiseAddress: '127.0.0.1:8100',
      slots: 1,
      ctxMax: 2048,
      features: ['seed', 'cancel'],
      canaryHash: 'c0ffee',
      determinismStrict: true,
      activeLeases: [{ leaseId: 'l-1', taskId: 't-1' }],
    },
  },
};

describe('ORCH-4010: placement.proto round trip', () => {
  it('ORCH-4010: Register survives encode/decode byte-for-byte', () => {
    const bytes = SidecarMessage.encode(register).finish();
    expect(bytes.length).toBeGreaterThan(0);
    expect(SidecarMessage.decode(bytes)).toEqual(register);
  });

  it('ORCH-4010: LeaseFinished oneof keeps its case and counters', () => {
    const msg: SidecarMessage = {
      msg: {
        $case: 'lease',
        value: {
          leaseId: 'l-1',
          taskId: 't-1',
          event: {
            $case: 'finished',
            value: {
              reason: 'stop',
              errorCode: '',
              tokensIn: 12,
              tokensOut: 34,
              firstTokenMs: 56,
              decodeTimeMs: 789,
            },
          },
        },
      },
    };
    const back = SidecarMessage.decode(SidecarMessage.encode(msg).finish());
    expect(back).toEqual(msg);
    expect(back.msg?.$case).toBe('lease');
  });

  it('ORCH-3091: TaskSpec.seed is presence-tracked (0 differs from unset)', () => {
    const base = TaskSpec.fromPartial({ taskId: 't-1', maxTokens: 8 });
    expect(TaskSpec.decode(TaskSpec.encode(base).finish()).seed).toBeUndefined();
    const zero = TaskSpec.fromPartial({ taskId: 't-1', seed: 0 });
    expect(TaskSpec.decode(TaskSpec.encode(zero).finish()).seed).toBe(0);
  });

  it('ORCH-4010: Assign carries the full task spec down', () => {
    const cmd = PlacementCommand.fromPartial({
      cmd: {
        $case: 'assign',
        value: {
          leaseId: 'l-9',
          task: { taskId: 't-9', prompt: 'hello', seed: 42, correlationId: 'c-1' },
          queuePosition: 2,
          predictedStartMs: 150,
          kvWarmth: false,
        },
      },
    });
    const back = PlacementCommand.decode(PlacementCommand.encode(cmd).finish());
    expect(back.cmd?.$case).toBe('assign');
    if (back.cmd?.$case !== 'assign') throw new Error('unreachable');
    expect(back.cmd.value.task?.seed).toBe(42);
    expect(back.cmd.value.task?.prompt).toBe('hello');
  });
});

describe('ORCH-4010: Placement.Connect over grpc-js on loopback', () => {
  const server = new Server();
  const clients: PlacementClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('ORCH-4010: Register up, RegisterAck down', { timeout: 10_000 }, async () => {
    const impl: PlacementServer = {
      connect(call: ServerDuplexStream<SidecarMessage, PlacementCommand>) {
        call.on('data', (m: SidecarMessage) => {
          if (m.msg?.$case === 'register') {
            call.write({
              cmd: { $case: 'ack', value: { accepted: true, message: m.msg.value.replicaId } },
            });
            call.end();
          }
        });
      },
    };
    server.addService(PlacementService, impl);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const client = new PlacementClient(`127.0.0.1:${port}`, credentials.createInsecure());
    clients.push(client);
    const stream = client.connect();
    const got = new Promise<PlacementCommand>((resolve, reject) => {
      stream.on('data', (c: PlacementCommand) => resolve(c));
      stream.on('error', reject);
    });
    stream.write(register);
    const cmd = await got;
    stream.end();
    expect(cmd.cmd).toEqual({ $case: 'ack', value: { accepted: true, message: 'r-0' } });
  });
});
