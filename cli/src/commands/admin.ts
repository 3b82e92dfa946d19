// session get|delete, pools health|drain|undrain|reload|promote|rollback, caps: control-plane
// views (ORCH-2004/2005, ORCH-2101..2103, ORCH-3033 canary, ORCH-3095).
import type { Capabilities, PoolHealth, SessionInfo } from '@llama-orch/contracts';
import { intFlag } from '../args.js';
import type { Ctx } from '../context.js';
import { printJson } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { bytes, duration, keyValues } from '../format.js';
import { UsageError } from '../render-error.js';

function subcommand(positionals: string[], verbs: readonly string[], noun: string) {
  const [verb, id, ...rest] = positionals;
  if (!verb || !verbs.includes(verb)) {
    throw new UsageError(`orchctl ${noun} needs one of: ${verbs.join(', ')}`);
  }
  if (!id || rest.length > 0) throw new UsageError(`orchctl ${noun} ${verb} needs exactly one id`);
  return { verb, id };
}

export async function session(ctx: Ctx, positionals: string[]): Promise<ExitCode> {
  const { verb, id } = subcommand(positionals, ['get', 'delete'], 'session');
  if (verb === 'delete') {
    await ctx.client.deleteSession(id);
    ctx.io.stdout.write(`deleted session ${id}\n`);
    return EXIT.OK;
  }
  const info = await ctx.client.getSession(id);
  if (ctx.json) printJson(ctx, info);
  else ctx.io.stdout.write(sessionText(info));
  return EXIT.OK;
}

function sessionText(s: SessionInfo): string {
  const rows: [string, string][] = [
    ['session', s.session_id],
    ['turns', String(s.turns)],
    ['ttl', `${duration(s.ttl_ms_remaining)} remaining`],
    ['kv', `${bytes(s.kv_bytes)} (${s.kv_warmth ? 'warm' : 'cold'})`],
  ];
  if (s.tokens_budget_remaining !== undefined) {
    rows.push(['token budget', `${s.tokens_budget_remaining} remaining`]);
  }
  if (s.time_budget_remaining_ms !== undefined) {
    rows.push(['time budget', `${duration(s.time_budget_remaining_ms)} remaining`]);
  }
  return keyValues(rows);
}

interface PoolFlags {
  deadline?: string;
  model?: string;
  'canary-share'?: string;
}

function shareFlag(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const share = Number(raw);
  if (!Number.isFinite(share) || share <= 0 || share >= 1) {
    throw new UsageError(
      `--canary-share must be a number between 0 and 1 (exclusive), got "${raw}"`,
    );
  }
  return share;
}

export async function pools(ctx: Ctx, flags: PoolFlags, positionals: string[]): Promise<ExitCode> {
  const { verb, id } = subcommand(
    positionals,
    ['health', 'drain', 'undrain', 'reload', 'promote', 'rollback'],
    'pools',
  );
  if (verb === 'health') {
    const health = await ctx.client.poolHealth(id);
    if (ctx.json) printJson(ctx, health);
    else ctx.io.stdout.write(poolText(health));
    return EXIT.OK;
  }
  if (verb === 'drain') {
    const deadline_ms = intFlag('deadline', flags.deadline) ?? 60_000;
    const accepted = await ctx.client.drain(id, { deadline_ms });
    if (ctx.json) printJson(ctx, accepted);
    else
      ctx.io.stdout.write(
        `draining pool ${accepted.pool_id} (deadline ${duration(deadline_ms)})\n`,
      );
    return EXIT.OK;
  }
  if (verb === 'undrain') {
    const accepted = await ctx.client.undrain(id);
    if (ctx.json) printJson(ctx, accepted);
    else ctx.io.stdout.write(`undrained pool ${accepted.pool_id}: it takes new work again\n`);
    return EXIT.OK;
  }
  if (verb === 'promote' || verb === 'rollback') {
    const accepted =
      verb === 'promote' ? await ctx.client.promote(id) : await ctx.client.rollback(id);
    if (ctx.json) printJson(ctx, accepted);
    else
      ctx.io.stdout.write(
        (verb === 'promote'
          ? `promoting the canary of pool ${accepted.pool_id} to every replica`
          : `rolling back the canary of pool ${accepted.pool_id} to the previous model`) +
          (accepted.reload_id
            ? ` (reload ${accepted.reload_id}; follow it with pools health)`
            : '') +
          '\n',
      );
    return EXIT.OK;
  }
  if (!flags.model) throw new UsageError('orchctl pools reload needs --model NEW_MODEL_REF');
  const share = shareFlag(flags['canary-share']);
  const accepted = await ctx.client.reload(id, {
    new_model_ref: flags.model,
    ...(share !== undefined ? { canary_share: share } : {}),
  });
  if (ctx.json) printJson(ctx, accepted);
  else
    ctx.io.stdout.write(
      `reloading pool ${accepted.pool_id} with ${flags.model}` +
        (share !== undefined ? `, canary ${Math.round(share * 100)}% of tasks then hold` : '') +
        (accepted.reload_id ? ` (reload ${accepted.reload_id}; follow it with pools health)` : '') +
        '\n',
    );
  return EXIT.OK;
}

export function poolText(h: PoolHealth): string {
  const m = h.metrics;
  const state = h.draining ? 'draining' : h.ready ? 'Ready' : 'not ready';
  const rows: [string, string][] = [
    ['pool', `${h.pool_id} (${state}${h.live ? '' : ', not live'})`],
    ...(h.model_ref ? [['model', h.model_ref] as [string, string]] : []),
    ['replicas', `${m.replicas_ready}/${m.replicas_total} Ready`],
    ['slots', `${m.slots_free}/${m.slots_total} free, ${m.tasks_running} running`],
    ['queue', `interactive ${m.queue_depth.interactive}, batch ${m.queue_depth.batch}`],
    ['kv usage', `${Math.round(m.kv_usage_ratio * 100)}%`],
  ];
  const r = h.reload;
  if (r) {
    const why = r.error
      ? ` (${r.error.replica_id} ${r.error.failed_step}: ${r.error.message})`
      : '';
    rows.push([
      'reload',
      `${r.state} ${r.from.model_ref} → ${r.to.model_ref}, ${r.replicas_done}/${r.replicas_total} done${why}`,
    ]);
    const c = r.canary;
    if (c) {
      rows.push([
        'canary',
        `${Math.round(c.share * 100)}% of tasks on ${c.canary_replicas.join(', ')}; ` +
          `Ready canary ${c.replicas.canary} / stable ${c.replicas.stable}; ` +
          `tasks canary ${c.tasks.canary} / stable ${c.tasks.stable}` +
          (r.state === 'canary' ? ' (pools promote|rollback)' : ''),
      ]);
    }
  }
  const head = keyValues(rows);
  const lines = h.replicas.map(
    (r) => `  ${r.replica_id}  ${r.ready ? 'Ready' : `unready (${r.unready_reason ?? 'unknown'})`}`,
  );
  return head + (lines.length > 0 ? lines.join('\n') + '\n' : '');
}

export async function caps(ctx: Ctx): Promise<ExitCode> {
  const c = await ctx.client.capabilities();
  if (ctx.json) printJson(ctx, c);
  else ctx.io.stdout.write(capsText(c));
  return EXIT.OK;
}

function capsText(c: Capabilities): string {
  const lines = [`api ${c.api_version}`];
  if (c.engines.length === 0) lines.push('no engine registered');
  for (const e of c.engines) {
    lines.push(
      `${e.engine} ${e.engine_versions.join(', ') || '(no version)'}: ctx_max ${e.ctx_max}, ` +
        `slots ${e.slots}, queues interactive ${e.limits.queue_capacity.interactive} / batch ${e.limits.queue_capacity.batch}` +
        (e.features.length > 0 ? `, features ${e.features.join(' ')}` : ''),
    );
  }
  return lines.join('\n') + '\n';
}
