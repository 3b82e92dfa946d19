// The sidecar's public option, status and handle types (kept apart so the modules that wire the
// sidecar can share them without importing each other).
import type { ControlTlsFiles } from './control/control-tls.js';
import type { EngineProcess } from './engine/process.js';
import type { RestartPolicy } from './engine/restarter.js';
import type { ExternalEngineOptions, SupervisedEngineOptions } from './engine/startup.js';

export interface SidecarOptions {
  replicaId: string;
  poolId: string;
  /** Adapter name from adapters/registry.ts; default llamacpp. */
  engine?: string;
  modelRef: string;
  /** HTTP bind host/port; port 0 picks a free one. */
  host?: string;
  port?: number;
  /** Host placement should route to (default: host). */
  advertiseHost?: string;
  /** Placement control address, default 127.0.0.1:9003. */
  placementAddress?: string;
  /** ORCH-3142: this sidecar's mutual-TLS identity towards placement. */
  controlTls?: ControlTlsFiles;
  /** Launch and supervise the engine (local mode)... */
  supervise?: SupervisedEngineOptions;
  /** ...or attach to an engine started elsewhere (pod mode). */
  external?: ExternalEngineOptions;
  samplerProfile?: string;
  /** Strict: a non-compliant engine refuses Ready (ORCH-4016). Default true. */
  determinismStrict?: boolean;
  canary?: boolean;
  /** Cancel self-test deadline (ORCH-3049; default 10 s, generous for the CPU carve-out). */
  selfTestCancelDeadlineMs?: number;
  heartbeatMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Unclaimed Assigns expire after this (default 60 s). */
  leaseTtlMs?: number;
  /**
   * ORCH-4032: a stream whose client left goes on this long for a Last-Event-ID reconnect, and a
   * finished stream stays readable as long (default 30 s; 0: a client leaving ends its stream).
   */
  resumeWindowMs?: number;
  /** Idle watchdog per stream: no engine output for this long → DECODE_TIMEOUT (default 30 s). */
  idleTimeoutMs?: number;
  /** Watchdog before the first token, covering prefill (default 120 s). */
  firstTokenTimeoutMs?: number;
  /** After a cancel, the engine slot must be idle within this (default 3 s) or the replica turns unready. */
  cancelIdleDeadlineMs?: number;
  /** Supervised mode: restart a crashed engine with backoff (ORCH-3038); default on. */
  restart?: boolean;
  restartPolicy?: Partial<RestartPolicy>;
  /** Reload: how long running leases may finish before they are canceled (default 30 s). */
  reloadDrainMs?: number;
  log?: (msg: string) => void;
}

export interface SidecarStatus {
  ready: boolean;
  reason: string;
  engineVersion: string;
  modelDigest: string;
  canaryHash: string;
  ctxMax: number;
  controlConnected: boolean;
  determinismReasons: string[];
  /** Leases held (assigned, streaming, or awaiting slot-idle confirmation). */
  leases: number;
  modelRef: string;
  /** A Reload is being carried out. */
  reloading: boolean;
}

export interface SidecarHandle {
  port: number;
  /** Stops control, streams, HTTP and the supervised engine. */
  close(): Promise<void>;
  status(): SidecarStatus;
  /** Supervised engine process (tests kill it to simulate a crash); replaced by restarts. */
  readonly engineProcess?: EngineProcess;
  /** The current engine's base URL (a reload may move it). */
  readonly engineBaseUrl: string;
  /** Engine restarts done since start (ORCH-3038). */
  readonly restarts: number;
}
