// ORCH-3133: the WASI policy host. A policy is a wasm module that scores placement candidates: a
// pure function of the snapshot it is given.
//
// - Pure: a module with any import (WASI or otherwise) is refused at load, so it has no clock, no
//   I/O and no randomness. Its mutable globals and linear memory are reset to their post-start
//   state before every call, so nothing carries over between decisions: the same snapshot always
//   gives the same scores.
// - Bounded: the module is fuel-metered (meter.ts), so a runaway policy traps after `fuel` units
//   (function entries + loop iterations); each call is also timed against `budgetMs`.
// - Fail-safe: a trap, an exhausted budget, `budgetMs` exceeded on `overrunLimit` decisions in a
//   row, a non-zero status or a score outside [0,1] disables the policy for good (until the
//   placement service restarts); `decide` then answers undefined and core's default profile places.
import { FUEL_EXPORT, STATE_EXPORT, meterModule } from './meter.js';
import { wasm } from './wasm-api.js';
import type { WasmGlobal, WasmMemory } from './wasm-api.js';

export type DisableReason = 'trap' | 'budget' | 'garbage';

interface PolicyOptions {
  /** Fuel per decision (function entries + loop iterations); default 100000. */
  readonly fuel?: number;
  /** Wall-clock budget per decision in ms; default 1. */
  readonly budgetMs?: number;
  /** Decisions in a row over budgetMs that disable the policy; default 3 (one preemption of the
   *  gateway's thread is not the policy's fault; fuel bounds any single call). */
  readonly overrunLimit?: number;
  /** Largest linear memory a policy may grow to; default 16 MiB. */
  readonly maxMemoryBytes?: number;
  readonly clock?: () => number;
  /** Called once when the policy is disabled. */
  readonly onDisabled?: (reason: DisableReason, detail: string) => void;
  /** Called after every decision with its wall time in ms. */
  readonly onDecision?: (ms: number) => void;
}

export class PolicyLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyLoadError';
  }
}

interface PolicyExports {
  memory: WasmMemory;
  snapshot_ptr: () => number;
  snapshot_capacity: () => number;
  scores_ptr: () => number;
  decide: (n: number) => number;
  [FUEL_EXPORT]: WasmGlobal;
}

function isFn(v: unknown): v is (...args: number[]) => number {
  return typeof v === 'function';
}

export class PolicyHost {
  private readonly x: PolicyExports;
  private readonly state: { global: WasmGlobal; value: number | bigint }[] = [];
  private readonly memoryImage: Uint8Array;
  private readonly snapshotPtr: number;
  private readonly snapshotSlots: number;
  private readonly scoresPtr: number;
  private readonly fuel: number;
  private readonly budgetMs: number;
  private readonly overrunLimit: number;
  private readonly maxMemoryBytes: number;
  private readonly clock: () => number;
  private overruns = 0;
  private disabledBy: { reason: DisableReason; detail: string } | undefined;

  /** Throws PolicyLoadError for a module that is not a valid, import-free policy. */
  constructor(
    bytes: Uint8Array,
    private readonly options: PolicyOptions = {},
  ) {
    this.fuel = options.fuel ?? 100_000;
    this.budgetMs = options.budgetMs ?? 1;
    this.overrunLimit = options.overrunLimit ?? 3;
    this.maxMemoryBytes = options.maxMemoryBytes ?? 16 * 1024 * 1024;
    this.clock = options.clock ?? (() => performance.now());
    let module: object;
    try {
      const imports = wasm.Module.imports(new wasm.Module(bytes));
      if (imports.length > 0) {
        const names = imports.map((i) => `${i.module}.${i.name}`).join(', ');
        throw new PolicyLoadError(
          `imports refused (${names}): a policy is a pure function, with no clock, I/O or randomness`,
        );
      }
      module = new wasm.Module(meterModule(bytes, this.fuel));
    } catch (e) {
      if (e instanceof PolicyLoadError) throw e;
      throw new PolicyLoadError(`not a loadable policy: ${(e as Error).message}`);
    }
    let instance: { exports: Record<string, unknown> };
    try {
      instance = new wasm.Instance(module, {});
    } catch (e) {
      throw new PolicyLoadError(`policy start failed: ${(e as Error).message}`);
    }
    const x = instance.exports as Partial<PolicyExports> & Record<string, unknown>;
    if (
      !(x.memory instanceof wasm.Memory) ||
      !isFn(x.snapshot_ptr) ||
      !isFn(x.snapshot_capacity) ||
      !isFn(x.scores_ptr) ||
      !isFn(x.decide)
    ) {
      throw new PolicyLoadError(
        'a policy exports memory, snapshot_ptr, snapshot_capacity, scores_ptr and decide (see tools/policy-sdk)',
      );
    }
    this.x = x as PolicyExports;
    for (const [name, value] of Object.entries(x)) {
      if (name.startsWith(STATE_EXPORT) && value instanceof wasm.Global) {
        this.state.push({ global: value, value: value.value as number | bigint });
      }
    }
    this.fillFuel();
    this.snapshotPtr = this.x.snapshot_ptr();
    this.snapshotSlots = this.x.snapshot_capacity();
    this.scoresPtr = this.x.scores_ptr();
    const size = this.x.memory.buffer.byteLength;
    if (this.snapshotPtr % 8 !== 0 || this.scoresPtr % 8 !== 0) {
      throw new PolicyLoadError('snapshot_ptr and scores_ptr must be 8-byte aligned');
    }
    if (this.snapshotPtr + this.snapshotSlots * 8 > size || this.scoresPtr > size) {
      throw new PolicyLoadError('snapshot_ptr/snapshot_capacity/scores_ptr point outside memory');
    }
    this.memoryImage = new Uint8Array(this.x.memory.buffer).slice();
  }

  private fillFuel(): void {
    this.x[FUEL_EXPORT].value = this.fuel;
  }

  get disabled(): { reason: DisableReason; detail: string } | undefined {
    return this.disabledBy;
  }

  /** Float64 slots the policy accepts; the caller encodes at most this many. */
  get capacity(): number {
    return this.snapshotSlots;
  }

  private disable(reason: DisableReason, detail: string): undefined {
    if (!this.disabledBy) {
      this.disabledBy = { reason, detail };
      this.options.onDisabled?.(reason, detail);
    }
    return undefined;
  }

  /**
   * Scores for `n` candidates from a snapshot of `slots` float64 values (snapshot.ts), or
   * undefined once the policy is disabled.
   */
  decide(snapshot: Float64Array, slots: number, n: number): Float64Array | undefined {
    if (this.disabledBy) return undefined;
    if (slots > this.snapshotSlots)
      return this.disable(
        'garbage',
        `snapshot of ${slots} slots exceeds capacity ${this.snapshotSlots}`,
      );
    // Reset: memory and globals as right after start, full fuel.
    const mem = this.x.memory.buffer;
    const view = new Uint8Array(mem);
    view.set(this.memoryImage);
    if (view.length > this.memoryImage.length) view.fill(0, this.memoryImage.length);
    for (const s of this.state) s.global.value = s.value;
    this.fillFuel();
    new Float64Array(mem, this.snapshotPtr, slots).set(snapshot.subarray(0, slots));
    const t0 = this.clock();
    let status: number;
    try {
      status = this.x.decide(n);
    } catch (e) {
      const out = (this.x[FUEL_EXPORT].value as number) < 0;
      return out
        ? this.disable('budget', `fuel exhausted (${this.fuel} units)`)
        : this.disable('trap', (e as Error).message);
    } finally {
      this.options.onDecision?.(this.clock() - t0);
    }
    const ms = this.clock() - t0;
    if (ms > this.budgetMs) {
      if (++this.overruns >= this.overrunLimit) {
        return this.disable(
          'budget',
          `${this.overruns} decisions in a row over ${this.budgetMs} ms (last ${ms.toFixed(3)} ms)`,
        );
      }
    } else {
      this.overruns = 0;
    }
    if (status !== 0) return this.disable('garbage', `decide returned status ${status}`);
    const buffer = this.x.memory.buffer;
    if (buffer.byteLength > this.maxMemoryBytes) {
      return this.disable('garbage', `memory grew to ${buffer.byteLength} bytes`);
    }
    if (this.scoresPtr + n * 8 > buffer.byteLength)
      return this.disable('garbage', 'scores outside memory');
    const scores = new Float64Array(buffer, this.scoresPtr, n).slice();
    for (let i = 0; i < n; i++) {
      const v = scores[i] as number;
      if (!(v >= 0 && v <= 1))
        return this.disable('garbage', `score ${v} for candidate ${i} is not in [0,1]`);
    }
    return scores;
  }
}
