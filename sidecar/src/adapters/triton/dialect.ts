// Triton generate-extension request bodies for the two TensorRT-LLM model shapes (ORCH-3058):
// - classic `inflight_batcher_llm` ensemble: text_input, max_tokens, stream, temperature, top_k,
//   top_p, seed (older builds: random_seed);
// - LLM-API `tensorrt_llm` model: text_input, streaming, sampling_param_*, return_finish_reason.
// The dialect and the seed field are read from the model's own metadata (GET /v2/models/{m}).
import { isRecord, str } from '../openai-compatible/index.js';
import type { GenerationRequest } from '../types.js';

export type TritonDialect =
  { kind: 'classic'; seedField: 'seed' | 'random_seed' } | { kind: 'llmapi' };

interface TritonSamplerParams {
  temperature: number;
  top_k: number;
  top_p: number;
}

export const TRITON_SAMPLER_PROFILES: Readonly<Record<string, TritonSamplerParams>> = {
  v1: { temperature: 0.8, top_k: 40, top_p: 0.95 },
  // top_k 1 is greedy in TensorRT-LLM whatever the temperature.
  greedy: { temperature: 1, top_k: 1, top_p: 1 },
};

export function tritonProfile(name: string): TritonSamplerParams | undefined {
  return Object.hasOwn(TRITON_SAMPLER_PROFILES, name) ? TRITON_SAMPLER_PROFILES[name] : undefined;
}

/** Reads the dialect from KServe v2 model metadata: `inputs[].name`. */
export function dialectFromMetadata(meta: unknown): TritonDialect {
  const inputs = isRecord(meta) && Array.isArray(meta.inputs) ? meta.inputs : [];
  const names = new Set(
    inputs.flatMap((i) => (isRecord(i) && str(i.name) ? [String(i.name)] : [])),
  );
  if ([...names].some((n) => n.startsWith('sampling_param_'))) return { kind: 'llmapi' };
  return {
    kind: 'classic',
    seedField: names.has('random_seed') && !names.has('seed') ? 'random_seed' : 'seed',
  };
}

export function buildTritonBody(
  req: Omit<GenerationRequest, 'signal'>,
  d: TritonDialect,
  p: TritonSamplerParams,
  requestId: string,
): Record<string, unknown> {
  // ORCH-3105: OpenAI's temperature / top_p / stop over the profile.
  const s = req.sampling;
  p = {
    ...p,
    ...(s?.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(s?.topP !== undefined ? { top_p: s.topP } : {}),
  };
  const stops = [...(s?.stop ?? [])];
  if (d.kind === 'llmapi') {
    return {
      id: requestId,
      text_input: req.prompt,
      streaming: true,
      sampling_param_max_tokens: req.maxTokens,
      sampling_param_temperature: p.temperature,
      sampling_param_top_k: p.top_k,
      sampling_param_top_p: p.top_p,
      sampling_param_seed: req.seed,
      ...(stops.length ? { sampling_param_stop: stops } : {}),
      return_finish_reason: true,
    };
  }
  return {
    id: requestId,
    text_input: req.prompt,
    max_tokens: req.maxTokens,
    bad_words: '',
    // The ensemble's stop_words input is one comma-separated string.
    stop_words: stops.join(','),
    stream: true,
    temperature: p.temperature,
    top_k: p.top_k,
    top_p: p.top_p,
    [d.seedField]: req.seed,
  };
}
