// Prompt of the haiku gate. The user turn is the seed §4 template, word for word; only the
// framing around it (chat template, system message, sampler) is ours to choose, and the chosen
// framing is the one the sidecar applies to every llama.cpp request (see e2e-haiku/README.md).

/** The seed's user prompt, verbatim (workflow.md §4 "Prompt template"). */
export function seedPrompt(minuteWords: string, nonce: string): string {
  return (
    `Write a haiku (3 lines). Include this exact English minute phrase: "${minuteWords}". ` +
    `Also include this nonce verbatim: "${nonce}". Output only the poem.`
  );
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The chat turns sent for one gate run: optional system message, then the seed prompt. */
export function haikuMessages(
  minuteWords: string,
  nonce: string,
  systemMessage?: string,
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (systemMessage !== undefined) messages.push({ role: 'system', content: systemMessage });
  messages.push({ role: 'user', content: seedPrompt(minuteWords, nonce) });
  return messages;
}

/**
 * ChatML, as SmolLM2-Instruct (and Qwen2.5) are trained on it, ending with an open assistant
 * turn. Hand-built so the sidecar can send it to llama-server's native POST /completion.
 */
export function renderChatMl(messages: readonly ChatMessage[]): string {
  const turns = messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`);
  return `${turns.join('')}<|im_start|>assistant\n`;
}

/**
 * Gemma's turn format (system text is folded into the first user turn, as Gemma's template
 * does). No literal <bos>: llama-server adds BOS itself when the GGUF asks for it.
 */
export function renderGemma(messages: readonly ChatMessage[]): string {
  const system = messages.find((m) => m.role === 'system')?.content;
  const rest = messages.filter((m) => m.role !== 'system');
  const turns = rest.map((m, index) => {
    const role = m.role === 'assistant' ? 'model' : 'user';
    const prefix = index === 0 && system !== undefined ? `${system}\n\n` : '';
    return `<start_of_turn>${role}\n${prefix}${m.content}<end_of_turn>\n`;
  });
  return `${turns.join('')}<start_of_turn>model\n`;
}
