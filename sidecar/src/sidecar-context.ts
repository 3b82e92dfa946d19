// What the sidecar's parts share at run time: options, readiness, leases, the engine slot and
// the control connection. One plain object, built once in startSidecar; each module reads the
// fields it needs (the engine always through `slot`, since a Reload swaps it).
import type { AdapterModule } from './adapters/types.js';
import type { LeaseStore } from './control/lease-store.js';
import type { PlacementConnection } from './control/placement-client.js';
import type { EngineSlot } from './engine-slot.js';
import type { SidecarMetrics } from './http/metrics.js';
import type { SidecarLogger } from './logging.js';
import type { ReplicaState } from './replica-state.js';
import type { SidecarOptions } from './sidecar-options.js';
import type { LeaseStream } from './streaming/lease-stream.js';

export const DRAIN_REASON = 'drain deadline';

export interface SidecarContext {
  readonly o: SidecarOptions;
  readonly mod: AdapterModule;
  readonly logger: SidecarLogger;
  readonly log: (msg: string) => void;
  readonly state: ReplicaState;
  readonly leases: LeaseStore;
  readonly sessions: Map<string, LeaseStream>;
  readonly metrics: SidecarMetrics;
  readonly slot: EngineSlot;
  readonly strict: boolean;
  readonly samplerProfile: string;
  /** Drain received: no new Assigns; cleared by a successful Reload. */
  draining: boolean;
  /** A Reload is running: no new Assigns, heartbeats say why. */
  reloading: boolean;
  /** The model ref a running Reload loads. */
  reloadTarget: string;
  /** Set once the HTTP server listens (Register needs its port). */
  control?: PlacementConnection;
  advertiseAddress: string;
}

/** Ready for new work: no unready reason, not draining, not reloading (ORCH-4011). */
export function isReady(ctx: SidecarContext): boolean {
  return ctx.state.ready && !ctx.draining && !ctx.reloading;
}

export function unreadyReason(ctx: SidecarContext): string {
  // ORCH-3002: a replica loading its model says `loading`.
  const reloading = ctx.reloading ? `reloading: loading ${ctx.reloadTarget}` : '';
  return [reloading, ctx.draining ? 'draining' : '', ctx.state.reason].filter(Boolean).join('; ');
}
