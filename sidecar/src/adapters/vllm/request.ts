// vLLM OpenAI-compatible /v1/completions body: stream with usage, explicit seed and every sampler
// field of the pinned profile (ORCH-3058), so server defaults never leak into a request.
import type { GenerationRequest } from '../types.js';

interface VllmSamplerParams {
  temperature: number;
  top_p: number;
  top_k: number;
  min_p: number;
  presence_penalty: number;
  frequency_penalty: number;
  repetition_penalty: number;
}

const NEUTRAL = { presence_penalty: 0, frequency_penalty: 0, repetition_penalty: 1 } as const;

export const VLLM_SAMPLER_PROFILES: Readonly<Record<string, VllmSamplerParams>> = {
  v1: { ...NEUTRAL, temperature: 0.8, top_p: 0.95, top_k: 40, min_p: 0.05 },
  // temperature 0 is greedy in vLLM; top_k -1 disables the cut.
  greedy: { ...NEUTRAL, temperature: 0, top_p: 1, top_k: -1, min_p: 0 },
};

export function vllmProfile(name: string): VllmSamplerParams | undefined {
  return Object.hasOwn(VLLM_SAMPLER_PROFILES, name) ? VLLM_SAMPLER_PROFILES[name] : undefined;
}

/**
 * `prompt` is the task's text, or (ORCH-3102 chat) the token ids vLLM rendered from the model's
 * chat template; everything else is the same for both.
 */
export function buildVllmBody(
  req: Omit<GenerationRequest, 'signal'>,
  model: string,
  p: VllmSamplerParams,
  prompt: string | readonly number[] = req.prompt,
): Record<string, unknown> {
  return {
    model,
    prompt,
    max_tokens: req.maxTokens,
    seed: req.seed,
    n: 1,
    stream: true,
    // Usage arrives on a final `choices: []` chunk: exact token counts (ORCH-4015).
    stream_options: { include_usage: true },
    ignore_eos: false,
    ...p,
    // ORCH-3105: OpenAI's temperature / top_p / stop over the profile.
    ...(req.sampling?.temperature !== undefined ? { temperature: req.sampling.temperature } : {}),
    ...(req.sampling?.topP !== undefined ? { top_p: req.sampling.topP } : {}),
    ...(req.sampling?.stop?.length ? { stop: [...req.sampling.stop] } : {}),
  };
}
