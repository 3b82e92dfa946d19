// Determinism check for a running llama-server (ORCH-4016): launch flags (when we launched it)
// plus what /props and /slots say the server actually runs with.
import type { DeterminismReport, LaunchFacts } from '../types.js';
import { llamaCppDeterminismFindings } from './launch-args.js';
import { getJson, parseSlots } from './probe.js';

export async function checkLlamaDeterminism(
  baseUrl: string,
  launch: LaunchFacts | undefined,
  signal?: AbortSignal,
): Promise<DeterminismReport> {
  const reasons: string[] = [];
  if (!launch) {
    reasons.push(
      'engine not launched by this sidecar: --no-cont-batching and cache flags cannot be verified',
    );
  } else {
    for (const f of llamaCppDeterminismFindings(launch.args))
      reasons.push(`launch flags: ${f.problem}`);
  }
  const props = (await getJson(baseUrl, '/props', signal)) as Record<string, unknown>;
  if (props.total_slots !== 1)
    reasons.push(`total_slots=${String(props.total_slots)}, need 1 (-np 1)`);
  if (typeof props.build_info !== 'string' || props.build_info.length === 0) {
    reasons.push('build_info missing from /props');
  }
  // Cancel confirmation and load reporting need these endpoints.
  if (props.endpoint_slots === false) reasons.push('/slots endpoint disabled');
  if (props.endpoint_metrics === false)
    reasons.push('/metrics endpoint disabled (--metrics missing)');
  const slots = parseSlots(await getJson(baseUrl, '/slots', signal));
  if (slots.length !== 1) reasons.push(`/slots lists ${slots.length} slots, need 1`);
  const nCtx = slots[0]?.nCtx;
  if (launch && nCtx !== undefined && nCtx !== launch.ctx) {
    reasons.push(`slot n_ctx=${nCtx} differs from pinned -c ${launch.ctx}`);
  }
  return { compliant: reasons.length === 0, reasons };
}
