// In-process mock engine for unit tests: deterministic tokens per (seed, prompt), scripted faults,
// no network. It says it is simulated (ORCH-4020): engine_version `mock-…`, feature `simulated`.
import { createHash } from 'node:crypto';
import type { Engine } from '@llama-orch/contracts';
import { OutcomeTracker } from '../openai-compatible/index.js';
import type {
  AdapterErrorCode,
  DeterminismReport,
  EngineAdapter,
  EngineHealth,
  EngineIdentity,
  GenerationEvent,
  GenerationRequest,
  LoadSignals,
} from '../types.js';

type MockFault =
  /** A coded error outcome after `afterTokens` tokens. */
  | { kind: 'error'; afterTokens: number; code?: AdapterErrorCode; message?: string }
  /** The engine connection drops after `afterTokens` tokens (WORKER_RESET). */
  | { kind: 'reset'; afterTokens: number }
  /** No more output after `afterTokens` tokens until aborted (for watchdog tests). */
  | { kind: 'hang'; afterTokens: number };

interface MockScript {
  /** Exact token texts; default: derived from seed and prompt. */
  tokens?: readonly string[];
  /** Tokens generated when `tokens` is absent (capped by maxTokens). */
  count?: number;
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
  fault?: MockFault;
  /** After an abort the slot stays busy this long (an engine that ignores disconnects). */
  ignoreCancelMs?: number;
  /** Health answer; default ready. */
  unhealthy?: string;
  /** Prompt tokens reported; default: whitespace-separated words. */
  tokensIn?: number;
}

interface MockOptions {
  /** Engine enum value this mock stands in for (default llamacpp). */
  engine?: Engine;
  version?: string;
  script?: MockScript;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Deterministic pseudo-words for a (seed, prompt): same inputs, same stream (ORCH-3050 tests). */
function mockTokens(seed: number, prompt: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const h = createHash('sha256').update(`${seed}\0${prompt}\0${i}`).digest();
    out.push(` w${h.readUInt16BE(0) % 1000}`);
  }
  return out;
}

export class MockAdapter implements EngineAdapter {
  readonly engine: Engine;
  readonly samplerProfiles = ['v1', 'greedy'];
  script: MockScript;
  readonly requests: Omit<GenerationRequest, 'signal'>[] = [];
  private readonly version: string;
  private busy = 0;

  constructor(opts: MockOptions = {}) {
    this.engine = opts.engine ?? 'llamacpp';
    this.version = opts.version ?? 'mock-1';
    this.script = opts.script ?? {};
  }

  async *generate(req: GenerationRequest): AsyncGenerator<GenerationEvent> {
    const { signal, ...logged } = req;
    this.requests.push(logged);
    const s = this.script;
    const t = new OutcomeTracker();
    t.tokensIn = s.tokensIn ?? req.prompt.split(/\s+/).filter(Boolean).length;
    if (!this.samplerProfiles.includes(req.samplerProfile)) {
      yield* t.fail({
        code: 'INVALID_PARAMS',
        message: `unknown sampler profile ${req.samplerProfile}`,
        retriable: false,
      });
      return;
    }
    const seedForProfile = req.samplerProfile === 'greedy' ? 0 : req.seed;
    const all = s.tokens ?? mockTokens(seedForProfile, req.prompt, s.count ?? 8);
    const tokens = all.slice(0, req.maxTokens);
    this.busy += 1;
    let releaseLater = false;
    try {
      await sleep(s.firstTokenDelayMs ?? 0, signal);
      for (let i = 0; i <= tokens.length; i++) {
        if (signal.aborted) {
          releaseLater = (s.ignoreCancelMs ?? 0) > 0;
          yield* t.canceled();
          return;
        }
        const f = s.fault;
        if (f && f.afterTokens === i) {
          if (f.kind === 'error') {
            yield* t.fail({
              code: f.code ?? 'INTERNAL',
              message: f.message ?? 'scripted mock engine error',
              retriable: f.code === 'WORKER_RESET' || f.code === 'REPLICA_EXHAUSTED',
            });
            return;
          }
          if (f.kind === 'reset') {
            yield* t.cut('scripted connection reset');
            return;
          }
          await sleep(2 ** 31 - 1, signal);
          continue;
        }
        const tok = tokens[i];
        if (tok === undefined) break;
        if (i > 0) await sleep(s.tokenDelayMs ?? 0, signal);
        if (signal.aborted) continue;
        t.tokensOut += 1;
        yield { type: 'token', text: tok, tokenIds: [i] };
      }
      yield* t.done(
        tokens.length >= req.maxTokens && all.length >= req.maxTokens ? 'length' : 'stop',
      );
    } finally {
      if (releaseLater) setTimeout(() => (this.busy -= 1), s.ignoreCancelMs).unref();
      else this.busy -= 1;
    }
  }

  health(): Promise<EngineHealth> {
    const why = this.script.unhealthy;
    return Promise.resolve(why === undefined ? { ready: true } : { ready: false, reason: why });
  }

  identify(): Promise<EngineIdentity> {
    return Promise.resolve({
      engine: this.engine,
      engineVersion: this.version.startsWith('mock-') ? this.version : `mock-${this.version}`,
      modelPath: 'mock://model',
      ctxMax: 2048,
      slots: 1,
      features: ['simulated'],
    });
  }

  load(): Promise<LoadSignals> {
    return Promise.resolve({
      running: this.busy,
      waiting: 0,
      slotsTotal: 1,
      slotsBusy: Math.min(this.busy, 1),
      kvUsageRatio: 0,
    });
  }

  /** In-process and deterministic by construction. */
  checkDeterminism(): Promise<DeterminismReport> {
    return Promise.resolve({ compliant: true, reasons: [] });
  }
}
