// TGI POST /generate_stream body. Any of temperature/top_k/top_p implies sampling in TGI, so the
// greedy profile sends none of them and do_sample false (ORCH-3058).
import type { GenerationRequest } from '../types.js';

interface TgiSamplerParams {
  do_sample: boolean;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  repetition_penalty?: number;
}

export const TGI_SAMPLER_PROFILES: Readonly<Record<string, TgiSamplerParams>> = {
  v1: { do_sample: true, temperature: 0.8, top_k: 40, top_p: 0.95, repetition_penalty: 1 },
  greedy: { do_sample: false },
};

export function tgiProfile(name: string): TgiSamplerParams | undefined {
  return Object.hasOwn(TGI_SAMPLER_PROFILES, name) ? TGI_SAMPLER_PROFILES[name] : undefined;
}

/**
 * ORCH-3105: OpenAI's temperature / top_p over the profile. TGI refuses temperature 0 and
 * top_p 1 (both must be strictly inside their range): temperature 0 is greedy (do_sample false,
 * no sampling field), top_p 1 is no cut (left out).
 */
function withSampling(p: TgiSamplerParams, s: GenerationRequest['sampling']): TgiSamplerParams {
  if (s?.temperature === undefined && s?.topP === undefined) return p;
  if (s.temperature === 0) return { do_sample: false };
  const out: TgiSamplerParams = { ...p, do_sample: true };
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.topP !== undefined) {
    if (s.topP < 1) out.top_p = s.topP;
    else delete out.top_p;
  }
  return out;
}

export function buildTgiBody(
  req: Omit<GenerationRequest, 'signal'>,
  p: TgiSamplerParams,
): Record<string, unknown> {
  return {
    inputs: req.prompt,
    parameters: {
      ...withSampling(p, req.sampling),
      seed: req.seed,
      max_new_tokens: req.maxTokens,
      // Without details the final event has no finish_reason or token counts.
      details: true,
      stop: [...(req.sampling?.stop ?? [])],
    },
    stream: true,
  };
}
