// TGI POST /generate_stream body. Any of temperature/top_k/top_p implies sampling in TGI, so the
// greedy profile sends none of them and do_sample false (ORCH-3058).
import type { GenerationRequest } from '../types.js';

export interface TgiSamplerParams {
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

export function buildTgiBody(
  req: Omit<GenerationRequest, 'signal'>,
  p: TgiSamplerParams,
): Record<string, unknown> {
  return {
    inputs: req.prompt,
    parameters: {
      ...p,
      seed: req.seed,
      max_new_tokens: req.maxTokens,
      // Without details the final event has no finish_reason or token counts.
      details: true,
      stop: [],
    },
    stream: true,
  };
}
