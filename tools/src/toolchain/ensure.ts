// Idempotent bootstrap: for each step, keep a cached install that verifies, else (re)install it.
import { withCacheLock } from './cache-lock.js';
import { isToolchainError } from './errors.js';
import type { Progress } from './log.js';
import { createProgress } from './log.js';
import type { ManifestBase } from './manifest.js';
import { cacheRoot } from './paths.js';
import { extraModelIds } from './pins.js';
import type { Installed, Step, StepContext } from './steps/index.js';
import { STEPS } from './steps/index.js';

export interface StepReport {
  id: string;
  dir: string;
  /** `skipped`: the step is opt-in and was not asked for (Step.wanted). */
  action: 'cached' | 'installed' | 'skipped';
  seconds: number;
}

export interface EnsureOptions {
  root?: string;
  env?: NodeJS.ProcessEnv;
  progress?: Progress;
  steps?: readonly Step[];
}

export interface EnsureResult {
  root: string;
  steps: StepReport[];
  seconds: number;
}

async function ensureStep(ctx: StepContext, step: Step): Promise<StepReport> {
  const t0 = performance.now();
  const secs = (): number => Math.round((performance.now() - t0) / 100) / 10;
  if (step.wanted !== undefined && !step.wanted(ctx)) {
    ctx.progress.info(step.id, `skipped (opt-in): ${step.describe(ctx)}`);
    return { id: step.id, dir: '', action: 'skipped', seconds: 0 };
  }
  ctx.progress.info(step.id, step.describe(ctx));
  let found: Installed<ManifestBase> | undefined = await step.locate(ctx);
  if (found) {
    try {
      await step.verify(ctx, found);
      ctx.progress.info(step.id, `ok, cached at ${found.dir} (${secs()}s)`);
      return { id: step.id, dir: found.dir, action: 'cached', seconds: secs() };
    } catch (e) {
      const why = isToolchainError(e) ? e.message.split('\n')[0] : String(e);
      ctx.progress.warn(step.id, `cached install failed verification (${why}); reinstalling`);
      found = undefined;
    }
  }
  const installed = await step.install(ctx);
  await step.verify(ctx, installed);
  ctx.progress.info(step.id, `installed at ${installed.dir} (${secs()}s)`);
  return { id: step.id, dir: installed.dir, action: 'installed', seconds: secs() };
}

/** Fetches/builds whatever is missing from the cache; a no-op (plus checks) when warm. */
export async function ensureToolchain(opts: EnsureOptions = {}): Promise<EnsureResult> {
  const env = opts.env ?? process.env;
  const root = opts.root ?? cacheRoot(env);
  const progress = opts.progress ?? createProgress();
  const ctx: StepContext = { root, env, progress };
  extraModelIds(env); // an unknown id in LLAMA_ORCH_EXTRA_MODELS fails before any work
  const t0 = performance.now();
  progress.info('bootstrap', `cache root ${root}`);
  const reports = await withCacheLock(root, progress, async () => {
    const out: StepReport[] = [];
    for (const step of opts.steps ?? STEPS) out.push(await ensureStep(ctx, step));
    return out;
  });
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  const summary = reports.map((r) => `${r.id} ${r.action} ${r.seconds}s`).join(', ');
  progress.info('bootstrap', `done in ${seconds}s: ${summary}`);
  return { root, steps: reports, seconds };
}
