// Builds llama-server's native POST /completion body from our normalised request (ORCH-4016):
// one pinned slot, no prompt cache, explicit seed, n_predict and every sampler field. An engine
// with several slots (a best-effort replica, `--parallel N`) gets `id_slot: -1`: any free slot,
// since pinning slot 0 would queue every concurrent request behind one slot.
import type { GenerationRequest } from '../types.js';
import type { LlamaSamplerParams } from './sampler-profiles.js';

interface CompletionBody extends LlamaSamplerParams {
  prompt: string;
  stream: true;
  seed: number;
  n_predict: number;
  id_slot: number;
  cache_prompt: false;
  return_tokens: true;
  n_indent: number;
  stop: string[];
}

export function buildCompletionBody(
  req: Omit<GenerationRequest, 'signal'>,
  params: LlamaSamplerParams,
  slots = 1,
): CompletionBody {
  const s = req.sampling;
  return {
    ...params,
    // ORCH-3105: OpenAI's temperature / top_p replace the profile's value, nothing else.
    ...(s?.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(s?.topP !== undefined ? { top_p: s.topP } : {}),
    samplers: [...params.samplers],
    prompt: req.prompt,
    stream: true,
    seed: req.seed,
    n_predict: req.maxTokens,
    id_slot: slots > 1 ? -1 : 0,
    cache_prompt: false,
    // Token ids feed the canary hash and make token counting independent of text splitting.
    return_tokens: true,
    n_indent: 0,
    stop: [...(s?.stop ?? [])],
  };
}
