// Pinned, versioned sampler profiles for llama.cpp (ORCH-3058). Every field is sent explicitly
// so the engine's CLI defaults never leak into a request; changing any value here means a new
// profile name, never an edit of an existing one.

export interface LlamaSamplerParams {
  samplers: readonly string[];
  temperature: number;
  dynatemp_range: number;
  dynatemp_exponent: number;
  top_k: number;
  top_p: number;
  min_p: number;
  typical_p: number;
  xtc_probability: number;
  xtc_threshold: number;
  top_n_sigma: number;
  repeat_penalty: number;
  repeat_last_n: number;
  presence_penalty: number;
  frequency_penalty: number;
  dry_multiplier: number;
  dry_base: number;
  dry_allowed_length: number;
  dry_penalty_last_n: number;
  adaptive_target: number;
  adaptive_decay: number;
  mirostat: number;
  mirostat_tau: number;
  mirostat_eta: number;
  min_keep: number;
  n_probs: number;
  ignore_eos: boolean;
}

// Pipeline order is part of the profile: truncation first, temperature last.
const V1_ORDER = ['penalties', 'top_k', 'top_p', 'min_p', 'temperature'] as const;

const NEUTRAL = {
  dynatemp_range: 0,
  dynatemp_exponent: 1,
  typical_p: 1,
  xtc_probability: 0,
  xtc_threshold: 0.1,
  top_n_sigma: -1,
  repeat_penalty: 1,
  repeat_last_n: 64,
  presence_penalty: 0,
  frequency_penalty: 0,
  dry_multiplier: 0,
  dry_base: 1.75,
  dry_allowed_length: 2,
  // Inert while dry_multiplier is 0; this build rejects -1.
  dry_penalty_last_n: 64,
  // Adaptive sampling off (target < 0); newer builds know these fields, older ones ignore them.
  adaptive_target: -1,
  adaptive_decay: 0.9,
  mirostat: 0,
  mirostat_tau: 5,
  mirostat_eta: 0.1,
  min_keep: 0,
  n_probs: 0,
  ignore_eos: false,
} as const;

/** `v1` samples (temperature > 0), so the seed decides the output. */
const V1: LlamaSamplerParams = {
  ...NEUTRAL,
  samplers: V1_ORDER,
  temperature: 0.8,
  top_k: 40,
  top_p: 0.95,
  min_p: 0.05,
};

/** `greedy`: temperature 0 makes llama.cpp pick the argmax; used by the startup canary. */
const GREEDY: LlamaSamplerParams = {
  ...NEUTRAL,
  samplers: V1_ORDER,
  temperature: 0,
  top_k: 1,
  top_p: 1,
  min_p: 0,
};

export const LLAMACPP_SAMPLER_PROFILES: Readonly<Record<string, LlamaSamplerParams>> = {
  v1: V1,
  greedy: GREEDY,
};

export function samplerProfile(name: string): LlamaSamplerParams | undefined {
  return Object.hasOwn(LLAMACPP_SAMPLER_PROFILES, name)
    ? LLAMACPP_SAMPLER_PROFILES[name]
    : undefined;
}
