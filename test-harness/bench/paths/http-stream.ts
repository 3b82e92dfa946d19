// The bench's HTTP client: node:http with one keep-alive agent (no fetch/WHATWG-stream layers,
// so the client adds as little and as steady a cost as it can to every path alike) and a reader
// that timestamps the first and last token of a streamed answer in any of the three wire formats
// the paths speak: llama.cpp native `data:` chunks, OrchQueue `event: token`, OpenAI `choices`.
import { Agent, request } from 'node:http';
import type { IncomingMessage } from 'node:http';

type WireFormat = 'llama' | 'orch' | 'openai';

/** Reused sockets on every hop the client opens, as a real client with keep-alive would. */
// An idle socket is dropped after 3 s, before any server's keep-alive timeout (Node's and
// uvicorn's are 5 s) can close it under a request that was just written on it.
const agent = new Agent({
  keepAlive: true,
  maxSockets: Infinity,
  maxFreeSockets: 2048,
  timeout: 3_000,
});

export interface Streamed {
  /** performance.now() of the first and last token, NaN when none came. */
  firstAt: number;
  lastAt: number;
  tokens: number;
  text: string;
  /** The terminal marker the format defines was seen (stop:true, event end, [DONE]). */
  complete: boolean;
  headers: IncomingMessage['headers'];
}

interface HttpCall {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

function send(call: HttpCall): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(call.url);
    const req = request(
      {
        agent,
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: call.method,
        headers: {
          ...(call.body !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(call.body) }
            : {}),
          ...call.headers,
        },
        timeout: call.timeoutMs,
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(new Error(`${call.method} ${call.url}: timed out`)));
    req.on('error', reject);
    req.end(call.body);
  });
}

/** A plain JSON request/answer (the OrchQueue submission). */
export async function json(call: HttpCall): Promise<{ status: number; body: unknown }> {
  const res = await send(call);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return { status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** One streamed request read to its end; throws on a non-200 answer. */
export async function streamCall(call: HttpCall, format: WireFormat): Promise<Streamed> {
  const res = await send(call);
  if (res.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    throw new Error(
      `${call.method} ${call.url} answered ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`,
    );
  }
  const out: Streamed = {
    firstAt: Number.NaN,
    lastAt: Number.NaN,
    tokens: 0,
    text: '',
    complete: false,
    headers: res.headers,
  };
  res.setEncoding('utf8');
  let buf = '';
  for await (const chunk of res as AsyncIterable<string>) {
    buf += chunk;
    let cut: number;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const piece = tokenOf(block, format, out);
      if (piece !== undefined && piece.length > 0) {
        const now = performance.now();
        if (out.tokens === 0) out.firstAt = now;
        out.lastAt = now;
        out.tokens += 1;
        out.text += piece;
      }
    }
  }
  return out;
}

/** The token text an SSE block carries (undefined for none); marks `complete` at the end. */
function tokenOf(block: string, format: WireFormat, out: Streamed): string | undefined {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(line.startsWith('data: ') ? 6 : 5);
  }
  if (format === 'orch') {
    if (event === 'end') out.complete = true;
    if (event === 'error') throw new Error(`stream error event: ${data}`);
    return event === 'token' ? String((JSON.parse(data) as { t?: unknown }).t ?? '') : undefined;
  }
  if (data === '') return undefined;
  if (format === 'openai') {
    if (data === '[DONE]') {
      out.complete = true;
      return undefined;
    }
    const c = JSON.parse(data) as { choices?: { text?: string }[]; error?: unknown };
    if (c.error !== undefined) throw new Error(`stream error: ${data}`);
    return c.choices?.[0]?.text;
  }
  const d = JSON.parse(data) as { content?: string; stop?: boolean };
  if (d.stop === true) {
    out.complete = true;
    return undefined;
  }
  return d.content;
}
