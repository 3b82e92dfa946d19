import { describe, expect, it } from 'vitest';
import { haikuMessages, renderChatMl, renderGemma, seedPrompt } from './prompt.js';

describe('ORCH-5006: haiku prompt', () => {
  it('ORCH-5006: the user turn is the seed §4 template, word for word', () => {
    expect(seedPrompt('<m>', '<n>')).toBe(
      'Write a haiku (3 lines). Include this exact English minute phrase: "<m>". ' +
        'Also include this nonce verbatim: "<n>". Output only the poem.',
    );
  });

  it('ORCH-5006: ChatML framing keeps the system message first and opens the assistant turn', () => {
    const text = renderChatMl(haikuMessages('m', 'n', 'S'));
    expect(text).toBe(
      `<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n${seedPrompt('m', 'n')}<|im_end|>\n` +
        '<|im_start|>assistant\n',
    );
    expect(renderChatMl(haikuMessages('m', 'n'))).not.toContain('system');
  });

  it('ORCH-5006: Gemma framing folds the system text into the first user turn', () => {
    expect(renderGemma(haikuMessages('m', 'n', 'S'))).toBe(
      `<start_of_turn>user\nS\n\n${seedPrompt('m', 'n')}<end_of_turn>\n<start_of_turn>model\n`,
    );
  });
});
