// Reload (ORCH-2102, ORCH-3031): replace this replica's model in place. Placement drains the
// replica first; here new Assigns are refused, running leases get a bounded time to finish, the
// engine stops, the new artifact is verified and launched, the self-tests run (ORCH-3049), and
// placement gets a ReloadResult. On success the control stream is reopened so a fresh Register
// carries the new identity; on failure the replica stays Unready (`self-test <step>: ...`) with
// its engine stopped until the next Reload (placement's rollback, ORCH-3033).
import type { Reload, ReloadResult } from '@llama-orch/proto';
import { cancelLease } from './lease-outcomes.js';
import { DRAIN_REASON, type SidecarContext } from './sidecar-context.js';

const CANCEL_SETTLE_MS = 5000;

const normalizeDigest = (d: string): string => {
  const hex = d.toLowerCase().replace(/^sha256:/, '');
  return hex ? `sha256:${hex}` : '';
};

async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Lets running leases finish within the bound, then cancels the rest (like a drain deadline). */
async function finishLeases(ctx: SidecarContext, boundMs: number): Promise<void> {
  if (await until(() => ctx.leases.size === 0, boundMs)) return;
  ctx.log(`reload: ${ctx.leases.size} lease(s) still running after ${boundMs} ms; canceling`);
  for (const l of ctx.leases.active()) cancelLease(ctx, l.leaseId, DRAIN_REASON);
  // A canceled stream keeps its lease until the (still running) engine confirms the slot idle.
  await until(() => ctx.leases.size === 0, CANCEL_SETTLE_MS);
}

function answer(ctx: SidecarContext, result: ReloadResult, t0: number, from: string): void {
  ctx.control?.sendReloadResult(result);
  ctx.logger.event(
    {
      reload_id: result.reloadId,
      from_model_ref: from,
      model_ref: result.modelRef,
      model_digest: result.modelDigest,
      ok: result.ok,
      failed_step: result.failedStep || undefined,
      wall_ms: Date.now() - t0,
    },
    result.ok
      ? `reload finished in ${Date.now() - t0} ms`
      : `reload failed in ${Date.now() - t0} ms: ${result.message}`,
  );
}

const failed = (r: Reload, step: string, message: string): ReloadResult => ({
  reloadId: r.reloadId,
  ok: false,
  failedStep: step,
  message,
  // A replica whose reload failed serves nothing until the next Reload.
  modelRef: '',
  modelDigest: '',
});

function succeeded(ctx: SidecarContext, r: Reload, message: string): ReloadResult {
  return {
    reloadId: r.reloadId,
    ok: true,
    failedStep: '',
    message,
    modelRef: ctx.slot.modelRef,
    modelDigest: ctx.slot.modelDigest,
  };
}

/** After success: the drain that preceded the reload is over; re-register with the new identity. */
function rejoin(ctx: SidecarContext): void {
  ctx.draining = false;
  ctx.control?.reopen();
}

export async function runReload(ctx: SidecarContext, r: Reload): Promise<void> {
  const t0 = Date.now();
  const from = ctx.slot.modelRef;
  ctx.logger.event(
    { reload_id: r.reloadId, from_model_ref: from, model_ref: r.newModelRef },
    `reload to ${r.newModelRef} started`,
  );
  if (ctx.reloading) {
    answer(ctx, failed(r, 'launch', 'another reload is still running'), t0, from);
    return;
  }
  const opts = ctx.slot.options;
  if (!opts.supervise) {
    // The sidecar cannot replace an engine it did not start; a reload to what it already serves
    // (a rollback after a failed attempt elsewhere) is a no-op that succeeds.
    const want = normalizeDigest(r.newModelDigest);
    const same = r.newModelRef === from && (!want || want === ctx.slot.modelDigest);
    if (same && !ctx.slot.current.failure) {
      answer(ctx, succeeded(ctx, r, 'external engine already serves this model'), t0, from);
      rejoin(ctx);
    } else {
      const msg = "external engine: reload must be done by the engine's owner";
      answer(ctx, failed(r, 'launch', msg), t0, from);
    }
    return;
  }
  // No path: bring-up fails at preload and says so, like any other unusable artifact.
  const modelPath = r.newModelPath || (r.newModelRef === from ? opts.supervise.modelPath : '');
  ctx.reloading = true;
  ctx.reloadTarget = r.newModelRef;
  ctx.control?.beatNow();
  try {
    await finishLeases(ctx, ctx.o.reloadDrainMs ?? 30_000);
    await ctx.slot.stopEngine();
    const eng = await ctx.slot.bringUp(
      { ...opts, supervise: { ...opts.supervise, modelPath, modelDigest: r.newModelDigest } },
      r.newModelRef,
    );
    if (eng.failure) {
      const msg = `self-test ${eng.failure.step}: ${eng.failure.detail}`;
      answer(ctx, failed(r, eng.failure.step, msg), t0, from);
      return;
    }
    answer(ctx, succeeded(ctx, r, `serving ${r.newModelRef}`), t0, from);
    rejoin(ctx);
  } catch (err) {
    // bringUp never throws; this is stopEngine or a bug: report it rather than go silent.
    answer(ctx, failed(r, 'launch', err instanceof Error ? err.message : String(err)), t0, from);
  } finally {
    ctx.reloading = false;
  }
}
