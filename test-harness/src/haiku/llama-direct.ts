// A llama-server this harness starts itself on a free loopback port, for research
// (pass-rate.ts) only: the gate proper goes through Envoy. Flags match the sidecar's
// determinism profile (engines.md): one slot, no continuous batching, no prompt cache.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { ChatMessage } from './prompt.js';
import type { Sampling } from './recipes.js';

interface DirectLlama {
  baseUrl: string;
  child: ChildProcess;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface StartLlamaOptions {
  binary: string;
  model: string;
  ctx?: number;
  threads?: number;
  readyTimeoutMs?: number;
}

export async function startDirectLlama(options: StartLlamaOptions): Promise<DirectLlama> {
  const port = await freePort();
  const args = [
    ...['-m', options.model, '--host', '127.0.0.1', '--port', String(port)],
    ...['-np', '1', '--no-cont-batching', '--metrics', '--no-webui'],
    ...['-c', String(options.ctx ?? 2048), '-t', String(options.threads ?? 2)],
    ...['-b', '2048', '-ub', '512', '--no-cache-prompt'],
  ];
  const child = spawn(options.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`llama-server exited early (${child.exitCode}): ${stderrTail}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`);
      if (res.status === 200) return { baseUrl, child, close };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await close();
  throw new Error(`llama-server not healthy in time: ${stderrTail}`);
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as unknown;
}

/** The model's own chat template, applied by llama-server (POST /apply-template). */
export async function applyServerTemplate(
  baseUrl: string,
  messages: readonly ChatMessage[],
): Promise<string> {
  const out = (await postJson(`${baseUrl}/apply-template`, { messages })) as { prompt?: unknown };
  if (typeof out.prompt !== 'string') throw new Error('apply-template returned no prompt');
  return out.prompt;
}

interface CompletionResult {
  content: string;
  tokensPredicted: number;
  stopType: string;
  latencyMs: number;
}

/** Native POST /completion, non-streaming, every sampler field explicit. */
export async function complete(
  baseUrl: string,
  prompt: string,
  sampling: Sampling,
): Promise<CompletionResult> {
  const started = performance.now();
  const out = (await postJson(`${baseUrl}/completion`, {
    prompt,
    ...sampling,
    cache_prompt: false,
    id_slot: 0,
    stream: false,
  })) as { content?: unknown; tokens_predicted?: unknown; stop_type?: unknown };
  return {
    content: typeof out.content === 'string' ? out.content : '',
    tokensPredicted: typeof out.tokens_predicted === 'number' ? out.tokens_predicted : 0,
    stopType: typeof out.stop_type === 'string' ? out.stop_type : 'unknown',
    latencyMs: Math.round(performance.now() - started),
  };
}
