// In-process wiring for unit tests: real core, registry, director and task service, with fake
// control streams instead of gRPC (no network).
import { EventEmitter } from 'node:events';
import { Scheduler } from '@llama-orch/core';
import type { SchedulerConfig } from '@llama-orch/core';
import type { PlacementCommand, Register, SidecarMessage } from '@llama-orch/proto';
import { pino } from 'pino';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { GatewayMetrics } from '../../src/metrics/metrics.js';
import { ControlBridge } from '../../src/replicas/control-bridge.js';
import { Director } from '../../src/dispatch/director.js';
import { PoolService } from '../../src/services/pools.js';
import type { PoolReloadOptions } from '../../src/services/pools.js';
import { TaskService } from '../../src/services/tasks.js';
import type { ControlCall } from '../../src/replicas/registry.js';
import { ReplicaRegistry } from '../../src/replicas/registry.js';

export const MODEL_REF = 'smollm2-135m';

export const TEST_SCHEDULER: SchedulerConfig = {
  pools: [{ id: 'pool-a', engine: 'llamacpp', modelRef: MODEL_REF, ctxMax: 2048 }],
};

export class FakeControlCall extends EventEmitter implements ControlCall {
  readonly sent: PlacementCommand[] = [];
  ended = false;
  /** A scripted peer's reaction to each command (see fake-sidecar.ts). */
  onCommand: ((message: PlacementCommand) => void) | undefined;
  write(message: PlacementCommand): boolean {
    this.sent.push(message);
    this.onCommand?.(message);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  push(message: SidecarMessage): void {
    this.emit('data', message);
  }
  commands<K extends NonNullable<PlacementCommand['cmd']>['$case']>(
    kind: K,
  ): Extract<NonNullable<PlacementCommand['cmd']>, { $case: K }>['value'][] {
    return this.sent.flatMap((c) => (c.cmd?.$case === kind ? [c.cmd.value as never] : []));
  }
}

export function register(overrides: Partial<Register> = {}): Register {
  return {
    replicaId: 'r1',
    poolId: 'pool-a',
    engine: 'llamacpp',
    engineVersion: 'b1-test',
    modelRef: MODEL_REF,
    modelDigest: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    samplerProfileVersion: 'v1',
    advertiseAddress: '127.0.0.1:8100',
    slots: 1,
    ctxMax: 2048,
    features: [],
    canaryHash: 'c0',
    determinismStrict: false,
    activeLeases: [],
    ...overrides,
  };
}

export interface Harness {
  readonly now: { t: number };
  readonly core: Scheduler;
  readonly registry: ReplicaRegistry;
  readonly director: Director;
  readonly tasks: TaskService;
  readonly pools: PoolService;
  readonly metrics: GatewayMetrics;
  connect(reg?: Partial<Register>, slotsFree?: number): FakeControlCall;
  close(): void;
}

export function createHarness(
  acceptTimeoutMs = 200,
  queues?: SchedulerConfig['queues'],
  reload: PoolReloadOptions = {},
): Harness {
  const now = { t: 1000 };
  const clock = (): number => now.t;
  const log = pino({ level: 'silent' });
  const metrics = createMetrics();
  const core = new Scheduler({
    config: { ...TEST_SCHEDULER, leasePrefix: 'T-', ...(queues ? { queues } : {}) },
    clock,
  });
  const registry = new ReplicaRegistry({ clock, heartbeatTimeoutMs: 5000, log });
  const director = new Director({
    core,
    registry,
    metrics,
    clock,
    acceptTimeoutMs,
    log,
    poolEngine: () => 'llamacpp',
  });
  registry.bind(new ControlBridge({ core, registry, director, metrics, log }));
  const tasks = new TaskService({ core, director, registry, metrics, log });
  const pools = new PoolService(core, registry, clock, director, { log, ...reload });
  return {
    now,
    core,
    registry,
    director,
    tasks,
    pools,
    metrics,
    connect(reg = {}, slotsFree = 1) {
      const call = new FakeControlCall();
      registry.handleConnect(call);
      call.push({ msg: { $case: 'register', value: register(reg) } });
      call.push({
        msg: {
          $case: 'heartbeat',
          value: {
            ready: true,
            unreadyReason: '',
            slotsFree,
            running: 0,
            waiting: 0,
            kvUsageRatio: 0,
          },
        },
      });
      return call;
    },
    close: () => {
      pools.reloads.close();
      director.close();
    },
  };
}
