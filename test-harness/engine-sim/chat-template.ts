// The simulated model's chat template: ChatML, the format of the Qwen2.5 and SmolLM2 GGUFs the
// simulator stands in for. Rendered by llama.cpp's POST /apply-template and vLLM's POST /tokenize.

/** ChatML, the simulated model's own template (the Qwen / SmolLM2 format it stands in for). */
export function chatml(
  messages: readonly { role: string; content: string }[],
  addGenerationPrompt = true,
): string {
  const turns = messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('');
  return addGenerationPrompt ? `${turns}<|im_start|>assistant\n` : turns;
}

export function chatMessages(v: unknown): { role: string; content: string }[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const ok = v.every(
    (m: unknown) =>
      typeof m === 'object' &&
      m !== null &&
      typeof (m as { role?: unknown }).role === 'string' &&
      typeof (m as { content?: unknown }).content === 'string',
  );
  return ok ? (v as { role: string; content: string }[]) : undefined;
}
