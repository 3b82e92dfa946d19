// ORCH-3102: TGI renders the model's own chat template through POST /chat_tokenize: the body is a
// ChatRequest (only `messages` here: TGI ignores `model`, except that a name other than `tgi`
// selects a LoRA adapter), the answer a ChatTokenizeResponse {tokenize_response, templated_text}
// (router/src/server.rs get_chat_tokenize, router/src/lib.rs). `templated_text` goes to
// /generate_stream as `inputs`.
//
// Caveat, from the same source: /generate_stream tokenizes `inputs` with the tokenizer's special
// tokens added (GenerateRequest.add_special_tokens is `serde(skip)`, always true from the wire),
// while TGI's own chat route turns them off. For a template that writes BOS itself (Llama 3,
// Mistral, Gemma) the decode therefore sees BOS twice; ChatML templates (Qwen, SmolLM2) add none.
import { isRecord, str } from '../openai-compatible/index.js';
import type { ChatTurn } from '../types.js';

export function chatTokenizeBody(turns: readonly ChatTurn[]): Record<string, unknown> {
  return { messages: [...turns] };
}

/** `templated_text` of a ChatTokenizeResponse; undefined when absent or empty. */
export function templatedText(json: unknown): string | undefined {
  const text = isRecord(json) ? str(json.templated_text) : undefined;
  return text !== undefined && text.length > 0 ? text : undefined;
}
