// ORCH-3102: vLLM renders the model's own chat template through its tokenize endpoint:
// POST /tokenize with a TokenizeChatRequest {model, messages, add_generation_prompt,
// add_special_tokens} answers a TokenizeResponse {count, max_model_len, tokens, token_strs}
// (vllm/entrypoints/serve/tokenize/protocol.py). The token ids then go to /v1/completions as the
// prompt (CompletionRequest.prompt accepts list[int]); vLLM does not tokenize a token prompt
// again, so nothing is added twice. add_special_tokens stays false, vLLM's default for chat:
// the template itself writes the special tokens (BOS, turn markers) the model expects.
import { isRecord } from '../openai-compatible/index.js';
import type { ChatTurn } from '../types.js';

export function tokenizeChatBody(
  model: string,
  turns: readonly ChatTurn[],
): Record<string, unknown> {
  return {
    model,
    messages: [...turns],
    add_generation_prompt: true,
    add_special_tokens: false,
  };
}

/** The token ids of a TokenizeResponse; undefined unless a non-empty list of ids. */
export function tokenIds(json: unknown): number[] | undefined {
  if (!isRecord(json) || !Array.isArray(json.tokens) || json.tokens.length === 0) return undefined;
  const ids: unknown[] = json.tokens;
  return ids.every((t): t is number => Number.isSafeInteger(t) && (t as number) >= 0)
    ? ids
    : undefined;
}
