// ORCH-3133: the `wasm-policy` placement plugin type. The gateway registers it with core
// (Scheduler `plugins`); core calls its scorer synchronously like any other, and the wasm host with
// its budget and timing stays here, outside pure core. params: `path` (the .wasm file, relative
// to the config file's folder or absolute), `fuel`, `budget_ms`.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CoreError } from '@llama-orch/core';
import type { PluginFactory, Scorer } from '@llama-orch/core';
import { PolicyHost } from './host.js';
import type { DisableReason } from './host.js';
import { encodeSnapshot } from './snapshot.js';

interface WasmPolicyOptions {
  /** Folder a relative `params.path` is resolved from (the config file's folder). */
  readonly baseDir: string;
  /** A policy was disabled: log it and count it (placement_policy_disabled_total). */
  readonly onDisabled: (policy: string, reason: DisableReason, detail: string) => void;
  readonly onDecision?: (policy: string, ms: number) => void;
}

const PARAMS = new Set(['path', 'fuel', 'budget_ms']);

function invalid(message: string): CoreError {
  return new CoreError('INVALID_PARAMS', `wasm-policy: ${message}`);
}

export function wasmPolicyPlugin(options: WasmPolicyOptions): PluginFactory {
  return {
    kind: 'scorer',
    create(params): Scorer {
      for (const key of Object.keys(params)) {
        if (!PARAMS.has(key)) throw invalid(`unknown param ${key}`);
      }
      const { path, fuel, budget_ms: budgetMs } = params;
      if (typeof path !== 'string' || path === '') throw invalid('params.path is required');
      if (fuel !== undefined && !(Number.isInteger(fuel) && (fuel as number) > 0)) {
        throw invalid('fuel must be a positive integer');
      }
      if (budgetMs !== undefined && !(typeof budgetMs === 'number' && budgetMs > 0)) {
        throw invalid('budget_ms must be > 0');
      }
      const file = isAbsolute(path) ? path : resolve(options.baseDir, path);
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw invalid(`cannot read ${file}: ${(e as Error).message}`);
      }
      let host: PolicyHost;
      try {
        host = new PolicyHost(bytes, {
          ...(fuel !== undefined ? { fuel: fuel as number } : {}),
          ...(budgetMs !== undefined ? { budgetMs } : {}),
          onDisabled: (reason, detail) => options.onDisabled(path, reason, detail),
          ...(options.onDecision
            ? { onDecision: (ms: number) => options.onDecision?.(path, ms) }
            : {}),
        });
      } catch (e) {
        throw invalid(`${file}: ${(e as Error).message}`);
      }
      return policyScorer(host);
    },
  };
}

/** A core Scorer over a loaded policy: undefined (default profile) once it is disabled. */
export function policyScorer(host: PolicyHost): Scorer {
  const snapshot = new Float64Array(host.capacity);
  return {
    name: 'wasm-policy',
    score(ctx, candidates) {
      if (host.disabled) return undefined;
      const slots = encodeSnapshot(ctx, candidates, snapshot);
      // More candidates than the policy takes: let the default profile decide this one.
      if (slots < 0) return undefined;
      const scores = host.decide(snapshot, slots, candidates.length);
      return scores ? Array.from(scores) : undefined;
    },
  };
}
