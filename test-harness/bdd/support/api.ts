// Plain HTTP against the public edge (and the loopback-only test hook on placement's REST port).
import { randomUUID } from 'node:crypto';
import { parseSseTranscript } from '@llama-orch/contracts';

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

const MODEL = 'SmolLM2-135M-Instruct-Q4_1';

/** A TaskRequest with test defaults: continuation prompt, fixed seed, few tokens. */
export function taskBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_id: randomUUID(),
    session_id: randomUUID(),
    workload: 'completion',
    model_ref: MODEL,
    engine: 'llamacpp',
    ctx: 512,
    priority: 'interactive',
    max_tokens: 6,
    deadline_ms: 0,
    prompt: 'Once upon a time',
    seed: 7,
    ...overrides,
  };
}

export async function http(
  method: string,
  url: string,
  body?: unknown,
  signal?: AbortSignal,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // Not JSON (SSE transcript or plain text): keep text only.
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface Transcript {
  status: number;
  events: { event: string; data: Record<string, unknown> }[];
  text: string;
}

export async function streamTask(
  edge: string,
  taskId: string,
  headers: Record<string, string> = {},
): Promise<Transcript> {
  const r = await http('GET', `${edge}/v1/tasks/${taskId}/stream`, undefined, undefined, headers);
  if (r.status !== 200) return { status: r.status, events: [], text: r.text };
  const events = parseSseTranscript(r.text).map((e) => ({
    event: e.event,
    data: JSON.parse(e.data) as Record<string, unknown>,
  }));
  return { status: r.status, events, text: r.text };
}

/** Stream, and cancel the task as soon as the first token arrives (race-free cancel). */
export async function streamAndCancelAfterFirstToken(
  edge: string,
  taskId: string,
): Promise<Transcript> {
  const res = await fetch(`${edge}/v1/tasks/${taskId}/stream`);
  if (!res.body) throw new Error('stream has no body');
  let text = '';
  let canceled = false;
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    text += decoder.decode(chunk, { stream: true });
    if (!canceled && text.includes('event: token')) {
      canceled = true;
      const c = await http('POST', `${edge}/v1/tasks/${taskId}/cancel`);
      if (c.status !== 204) throw new Error(`cancel answered ${c.status}`);
    }
  }
  const events = parseSseTranscript(text).map((e) => ({
    event: e.event,
    data: JSON.parse(e.data) as Record<string, unknown>,
  }));
  return { status: res.status, events, text };
}

export async function hook(restUrl: string, body: object): Promise<Record<string, unknown>> {
  const r = await http('POST', `${restUrl}/_test/provider-states`, body);
  if (r.status !== 200)
    throw new Error(`test hook ${JSON.stringify(body)} → ${r.status} ${r.text}`);
  return r.json;
}

/** Prometheus text → sum of every series of a family whose labels include `match`. */
export function metricSum(
  text: string,
  family: string,
  match: Record<string, string> = {},
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${family}{`) && !line.startsWith(`${family} `)) continue;
    const labels = line.slice(family.length).split('}')[0] ?? '';
    if (!Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))) continue;
    const value = Number(line.trim().split(/\s+/).pop());
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
