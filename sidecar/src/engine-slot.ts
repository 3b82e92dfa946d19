// The engine this replica runs right now: the EngineStartup of its last bring-up, the watch that
// restarts it after a crash, and the model it serves. A Reload swaps the whole slot content
// (ORCH-2102), so every reader goes through here instead of keeping an engine of its own.
// An engine that did not start at all (self-test `launch`: not reachable, exited while starting),
// or whose self-test probe failed in transport (timed out or reset: a host too busy to answer in
// time), is retried with the crash-restart backoff and budget (ORCH-3003, ORCH-3038, ORCH-3053);
// the other self-test failures are properties of the model or build and are not retried.
import type { AdapterModule, EngineAdapter } from './adapters/types.js';
import { watchEngine, type EngineWatch } from './engine/engine-watch.js';
import type { EngineProcess } from './engine/process.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './engine/restarter.js';
import { bringUpEngine, type BringUpOptions, type EngineStartup } from './engine/startup.js';
import type { SidecarMetrics } from './http/metrics.js';
import type { ReplicaState, UnreadyKey } from './replica-state.js';

interface EngineSlotDeps {
  mod: AdapterModule;
  state: ReplicaState;
  metrics: SidecarMetrics;
  strict: boolean;
  restart: boolean;
  policy?: Partial<RestartPolicy>;
  log: (msg: string) => void;
  /** A launch retry brought the engine up: its identity is new, so placement must hear a fresh
   * Register (the first one carried an unidentified engine). */
  onRecovered?: () => void;
}

/** Verdicts that belong to one engine; a new engine starts without them. */
const ENGINE_KEYS = (k: UnreadyKey): boolean =>
  k.startsWith('self-test ') ||
  k === 'engine' ||
  k === 'probe' ||
  k === 'determinism' ||
  k === 'restart_storm' ||
  k === 'slot';

const NO_WATCH: EngineWatch = { current: () => undefined, stop: () => undefined };

export class EngineSlot {
  private eng: EngineStartup | undefined;
  private watch: EngineWatch = NO_WATCH;
  private ref: string;
  private restartCount = 0;
  private opts: BringUpOptions | undefined;
  /** Bumped by every bringUp / stopEngine, so a pending launch retry knows it is stale. */
  private generation = 0;
  private launchRetries = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: EngineSlotDeps,
    modelRef: string,
  ) {
    this.ref = modelRef;
  }

  /**
   * Brings an engine up with `opts` and makes it current; never throws (failures → state).
   * `retryLaunch` (the sidecar's first start): an engine that does not start is retried. A
   * Reload does not retry: its ReloadResult tells placement, which decides (rollback).
   */
  async bringUp(
    opts: BringUpOptions,
    modelRef: string,
    retryLaunch = false,
  ): Promise<EngineStartup> {
    clearTimeout(this.retryTimer);
    this.launchRetries = 0;
    return this.attempt(opts, modelRef, ++this.generation, retryLaunch);
  }

  private async attempt(
    opts: BringUpOptions,
    modelRef: string,
    generation: number,
    retryLaunch: boolean,
  ): Promise<EngineStartup> {
    this.opts = opts;
    const eng = await bringUpEngine(this.deps.mod, opts);
    if (generation !== this.generation) {
      // Stopped or replaced (reload, close) while this attempt ran: it must not become current.
      await eng.process?.stop();
      return eng;
    }
    this.install(eng, modelRef);
    const retriable = eng.failure?.step === 'launch' || eng.failure?.transient === true;
    if (retriable && retryLaunch) this.retryLaunch(opts, modelRef, generation);
    else if (!eng.failure && this.launchRetries > 0) this.deps.onRecovered?.();
    return eng;
  }

  private retryLaunch(opts: BringUpOptions, modelRef: string, generation: number): void {
    const { state, log, metrics } = this.deps;
    const p = { ...DEFAULT_RESTART_POLICY, ...this.deps.policy };
    const failed = this.eng?.failure;
    if (this.launchRetries >= p.maxRestarts) {
      const last = failed ? `self-test ${failed.step}: ${failed.detail}` : '';
      const why = `engine did not start after ${p.maxRestarts} retries (${last}); no more until a reload`;
      if (failed) state.clear(`self-test ${failed.step}`);
      state.set('restart_storm', why);
      log(`restart_storm: ${why}`);
      return;
    }
    const delay = Math.min(p.initialBackoffMs * 2 ** this.launchRetries, p.maxBackoffMs);
    this.launchRetries += 1;
    log(
      `engine did not start (self-test ${failed?.step}); retry ${this.launchRetries} in ${delay} ms`,
    );
    this.retryTimer = setTimeout(() => {
      if (generation !== this.generation) return;
      this.restartCount += 1;
      metrics.engineRestart();
      void this.attempt(opts, modelRef, generation, true);
    }, delay);
  }

  get current(): EngineStartup {
    if (!this.eng) throw new Error('engine slot is empty (bringUp not called)');
    return this.eng;
  }

  /** How the current engine was brought up (a Reload starts from these). */
  get options(): BringUpOptions {
    if (!this.opts) throw new Error('engine slot is empty (bringUp not called)');
    return this.opts;
  }

  get adapter(): EngineAdapter {
    return this.current.adapter;
  }

  get modelRef(): string {
    return this.ref;
  }

  /** `sha256:<hex>`, or '' when the artifact could not be read. */
  get modelDigest(): string {
    return this.eng?.modelDigest ? `sha256:${this.eng.modelDigest}` : '';
  }

  /** Crash restarts done by the sidecar since it started, across reloads (ORCH-3038). */
  get restarts(): number {
    return this.restartCount;
  }

  /** The live engine process (replaced after a crash restart). */
  process(): EngineProcess | undefined {
    return this.watch.current();
  }

  /** Stops crash supervision and the engine process; the slot keeps its last identity. */
  async stopEngine(): Promise<void> {
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.watch.stop();
    const proc = this.watch.current();
    this.watch = NO_WATCH;
    await proc?.stop();
  }

  private install(eng: EngineStartup, modelRef: string): void {
    const { state, metrics, strict, log } = this.deps;
    this.eng = eng;
    this.ref = modelRef;
    state.clearWhere(ENGINE_KEYS);
    metrics.setIdentity({
      engine_version: eng.identity.engineVersion,
      model_digest: this.modelDigest,
      canary_hash: eng.canary.hash,
    });
    if (eng.failure) {
      state.set(`self-test ${eng.failure.step}`, eng.failure.detail);
      metrics.engineUp(false);
      log(`self-test ${eng.failure.step} failed after ${eng.ms} ms: ${eng.failure.detail}`);
      return;
    }
    metrics.engineUp(true);
    if (!eng.determinism.compliant) {
      const why = eng.determinism.reasons.join('; ');
      if (strict) state.set('determinism', `ORCH-4016 engine not deterministic: ${why}`);
      else log(`determinism best-effort: ${why}`);
    }
    const counted: SidecarMetrics = {
      ...metrics,
      engineRestart: () => {
        this.restartCount += 1;
        metrics.engineRestart();
      },
    };
    this.watch = watchEngine({
      eng,
      adapter: eng.adapter,
      state,
      metrics: counted,
      strict,
      restart: this.deps.restart,
      policy: this.deps.policy,
      log,
    });
    log(
      `engine ${eng.identity.engineVersion} serving ${modelRef} (self-tests passed in ${eng.ms} ms)`,
    );
  }
}
