// Watches the supervised engine process: marks the replica unready when it dies and, unless
// disabled, restarts it through EngineRestarter, re-verifying determinism and the canary hash
// before the replica may be Ready again (ORCH-3038, ORCH-3053, ORCH-4017).
import type { EngineAdapter } from '../adapters/types.js';
import type { SidecarMetrics } from '../http/metrics.js';
import type { ReplicaState } from '../replica-state.js';
import { identityHash, runCanary } from './canary.js';
import type { EngineProcess, ExitInfo } from './process.js';
import { DEFAULT_RESTART_POLICY, EngineRestarter, type RestartPolicy } from './restarter.js';
import type { EngineStartup } from './startup.js';

export interface EngineWatch {
  /** The live engine process (replaced after a restart). */
  current(): EngineProcess | undefined;
  stop(): void;
}

interface EngineWatchOptions {
  eng: EngineStartup;
  adapter: EngineAdapter;
  state: ReplicaState;
  metrics: SidecarMetrics;
  strict: boolean;
  restart: boolean;
  policy?: Partial<RestartPolicy>;
  log: (msg: string) => void;
}

const exitText = (x: ExitInfo): string =>
  `engine exited (code ${String(x.code)}, signal ${String(x.signal)})`;

export function watchEngine(o: EngineWatchOptions): EngineWatch {
  const { eng, adapter, state, metrics, log } = o;
  let proc = eng.process;
  if (!proc) return { current: () => undefined, stop: () => undefined };
  if (!eng.relaunch || !o.restart) {
    void proc.exited.then((x) => {
      state.set('engine', exitText(x));
      metrics.engineUp(false);
    });
    return { current: () => proc, stop: () => undefined };
  }
  const restarter = new EngineRestarter(
    eng.relaunch,
    {
      onDown: (x) => {
        state.set('engine', exitText(x));
        metrics.engineUp(false);
        log(`${exitText(x)}: ${proc?.recentOutput().split('\n').slice(-3).join(' | ') ?? ''}`);
      },
      // Every attempt counts, also one whose engine never comes up (ORCH-3053 storms).
      onAttempt: () => metrics.engineRestart(),
      onUp: (next, problem) => {
        proc = next;
        if (problem) {
          state.set('engine', `engine restarted but failed checks: ${problem}`);
          return;
        }
        state.clear('engine');
        metrics.engineUp(true);
        log('engine restarted and verified');
      },
      // ORCH-3053: past the budget the replica stays Unready as `restart_storm` until a reload.
      onGiveUp: (why) => {
        state.clear('engine');
        state.clear('probe');
        state.set('restart_storm', why);
        log(`restart_storm: ${why}`);
      },
      verify: async () => {
        const det = await adapter.checkDeterminism(eng.launch);
        if (o.strict && !det.compliant) return `ORCH-4016 ${det.reasons.join('; ')}`;
        if (!eng.canary.hash) return undefined;
        const c = identityHash((await runCanary(adapter)).hash, eng.launch);
        // ORCH-4017: the replica's identity is its canary; a different hash must not rejoin.
        return c === eng.canary.hash ? undefined : `canary hash changed (${c.slice(0, 12)})`;
      },
      log,
    },
    { ...DEFAULT_RESTART_POLICY, ...o.policy },
  );
  restarter.watch(proc);
  return { current: () => proc, stop: () => restarter.stop() };
}
