// Documented fallback when the caller has no tokenizer: one token per four characters, rounded up.
export function estimatePromptTokens(prompt: string | undefined): number {
  return prompt ? Math.ceil(prompt.length / 4) : 0;
}
