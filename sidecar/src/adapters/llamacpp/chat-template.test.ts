// ORCH-3102/ORCH-3144: what the engine's /apply-template answer becomes.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { renderChatPrompt } from './chat-template.js';

let server: Server | undefined;

async function engineAnswering(body: string): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

describe('ORCH-3144: the chat template render', () => {
  const turns = [{ role: 'assistant', content: '' }] as const;

  it('ORCH-3144: messages that render to an empty prompt are the request’s 400, not a 500', async () => {
    const url = await engineAnswering('{"prompt":""}');
    const r = await renderChatPrompt(url, turns, new AbortController().signal);
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', retriable: false } });
  });

  it('ORCH-3102: an answer without a prompt stays INTERNAL; a prompt is passed through', async () => {
    const missing = await renderChatPrompt(
      await engineAnswering('{"other":1}'),
      turns,
      new AbortController().signal,
    );
    expect(missing).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    const ok = await renderChatPrompt(
      await engineAnswering('{"prompt":"<|im_start|>user\\nhi"}'),
      turns,
      new AbortController().signal,
    );
    expect(ok).toEqual({ ok: true, prompt: '<|im_start|>user\nhi' });
  });
});
