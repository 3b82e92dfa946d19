// A fake llama-server for unit tests: /health, /props, /slots, /metrics and a scripted streaming
// /completion. Scripts can split events across chunks, interleave `:` comments, send malformed
// JSON, or destroy the socket mid-stream. Loopback only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface FakeScript {
  /** Token texts to stream. */
  tokens: string[];
  /** Delay between tokens (ms). */
  delayMs?: number;
  /** Write each event in pieces of this many bytes. */
  splitBytes?: number;
  /** Emit a `: ping` comment before every token. */
  comments?: boolean;
  /** After this many tokens: 'reset' destroys the socket, 'malformed' writes bad JSON, 'error' an error line. */
  failAfter?: { tokens: number; kind: 'reset' | 'malformed' | 'error' };
  stopType?: 'eos' | 'limit';
  /** HTTP status for /completion (non-200 returns an error body). */
  status?: number;
  /** Keep "processing" after the client disconnects (llama.cpp regression mode). */
  ignoreDisconnect?: boolean;
  /** POST /apply-template: ChatML (default), or 404 as an engine without the endpoint. */
  template?: 'chatml' | 'missing';
}

export interface FakeLlama {
  baseUrl: string;
  requests: Record<string, unknown>[];
  /** Bodies of POST /apply-template, in order. */
  templateRequests: Record<string, unknown>[];
  script: FakeScript;
  processing: boolean;
  /** Answer /slots and /metrics with 500 (a transient probe failure). */
  failProbes: boolean;
  /** Answer /metrics with 404 (an engine started without --metrics). */
  noMetrics: boolean;
  /** TCP connections accepted so far (keep-alive reuse shows as no new one). */
  connections: number;
  close(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function startFakeLlama(
  initial: FakeScript,
  /** Slots the engine reports (`--parallel N`); 1 like the sidecar's strict launch. */
  totalSlots = 1,
): Promise<FakeLlama> {
  const state: FakeLlama = {
    baseUrl: '',
    requests: [],
    templateRequests: [],
    script: initial,
    processing: false,
    failProbes: false,
    noMetrics: false,
    connections: 0,
    close: async () => undefined,
  };
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const write = async (res: ServerResponse, text: string, split?: number): Promise<void> => {
    if (!split) {
      res.write(text);
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i < bytes.length; i += split) {
      res.write(bytes.subarray(i, i + split));
      await sleep(1);
    }
  };
  let predicted = 0;
  const completion = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let raw = '';
    for await (const c of req) raw += (c as Buffer).toString('utf8');
    state.requests.push(JSON.parse(raw) as Record<string, unknown>);
    const s = state.script;
    if (s.status && s.status !== 200) {
      json(res, s.status, {
        error: { code: s.status, message: 'scripted failure', type: 'invalid_request_error' },
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    state.processing = true;
    let gone = false;
    res.on('close', () => {
      gone = true;
      if (!s.ignoreDisconnect) state.processing = false;
    });
    for (let i = 0; i < s.tokens.length; i++) {
      if (gone) return;
      if (s.failAfter && i === s.failAfter.tokens) {
        if (s.failAfter.kind === 'reset') {
          res.socket?.destroy();
          state.processing = false;
          return;
        }
        if (s.failAfter.kind === 'malformed')
          await write(res, 'data: {"content": "x", "stop": fal\n\n');
        else
          await write(
            res,
            'error: {"code":500,"message":"scripted engine error","type":"server_error"}\n\n',
          );
        res.end();
        state.processing = false;
        return;
      }
      if (s.comments) await write(res, ': ping\n\n');
      predicted += 1;
      const ev = {
        index: 0,
        content: s.tokens[i],
        tokens: [1000 + i],
        stop: false,
        id_slot: 0,
        tokens_predicted: i + 1,
        tokens_evaluated: 5,
      };
      await write(res, `data: ${JSON.stringify(ev)}\n\n`, s.splitBytes);
      if (s.delayMs) await sleep(s.delayMs);
    }
    const n = s.tokens.length;
    const fin = {
      index: 0,
      content: '',
      tokens: [],
      stop: true,
      stop_type: s.stopType ?? 'eos',
      tokens_predicted: n,
      tokens_evaluated: 5,
      unknown_field: { ignored: true },
      timings: { prompt_n: 5, prompt_ms: 3.5, predicted_n: n, predicted_ms: 12.5 },
    };
    await write(res, `data: ${JSON.stringify(fin)}\n\n`, s.splitBytes);
    res.end();
    state.processing = false;
  };
  const applyTemplate = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let raw = '';
    for await (const c of req) raw += (c as Buffer).toString('utf8');
    const body = JSON.parse(raw) as { messages?: { role: string; content: string }[] };
    state.templateRequests.push(body);
    if (state.script.template === 'missing') {
      json(res, 404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
      return;
    }
    const turns = (body.messages ?? []).map(
      (m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`,
    );
    json(res, 200, { prompt: `${turns.join('')}<|im_start|>assistant\n` });
  };
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && url === '/completion') {
      void completion(req, res);
      return;
    }
    if (req.method === 'POST' && url === '/apply-template') {
      void applyTemplate(req, res);
      return;
    }
    if (url === '/health') return json(res, 200, { status: 'ok' });
    if (state.failProbes && (url.startsWith('/slots') || url === '/metrics')) {
      return json(res, 500, { error: { code: 500, message: 'scripted probe failure' } });
    }
    if (url === '/props') {
      return json(res, 200, {
        total_slots: totalSlots,
        build_info: 'b9999-fake',
        model_path: '/models/fake.gguf',
        default_generation_settings: { n_ctx: 2048 },
      });
    }
    if (url.startsWith('/slots'))
      return json(
        res,
        200,
        Array.from({ length: totalSlots }, (_, id) => ({
          id,
          n_ctx: 2048,
          is_processing: id === 0 && state.processing,
        })),
      );
    if (url === '/metrics' && !state.noMetrics) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(
        `# HELP llamacpp:requests_processing x\nllamacpp:requests_processing ${state.processing ? 1 : 0}\nllamacpp:requests_deferred 0\nllamacpp:tokens_predicted_total ${predicted}\n`,
      );
      return;
    }
    json(res, 404, { error: { code: 404, message: 'not found' } });
  });
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
