// Typed client for the public API (data plane + control plane) at the Envoy edge. Request and
// response shapes are the generated contract types; SSE is parsed with the contracts' parser and
// every event is validated against its schema before the CLI sees it.
import { SseParser, validateSseEvent, formatIssues } from '@llama-orch/contracts';
import type {
  AdmissionResponse,
  Capabilities,
  DrainRequest,
  PoolActionAccepted,
  PoolHealth,
  ReloadRequest,
  ReplicaSetList,
  SessionInfo,
  SseEvent,
  TaskRequest,
} from '@llama-orch/contracts';
import { randomBytes } from 'node:crypto';
import { ProtocolError, UnreachableError, apiErrorFrom } from './api-error.js';

export interface ClientOptions {
  /** Base URL of the edge, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly apiKey?: string;
  readonly correlationId?: string;
  /** W3C trace context for every request of this client; default: a fresh sampled trace. */
  readonly traceparent?: string;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * One trace per orchctl command (ORCH-3042): `run` submits and streams in the same trace, so
 * when the stack traces, the POST and the stream are one tree instead of two linked ones. A
 * well-formed `TRACEPARENT` from the environment (CI systems set it) is continued instead.
 */
export function commandTraceparent(fromEnv?: string): string {
  if (fromEnv !== undefined && TRACEPARENT.test(fromEnv)) return fromEnv;
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

export class OrchClient {
  private readonly base: string;
  private readonly traceparent: string;
  constructor(private readonly o: ClientOptions) {
    this.base = o.url.replace(/\/+$/, '');
    this.traceparent = o.traceparent ?? commandTraceparent();
  }

  /** ORCH-2001: POST /v1/tasks → 202. */
  submit(task: TaskRequest): Promise<AdmissionResponse> {
    return this.json<AdmissionResponse>('POST', '/v1/tasks', 202, task);
  }

  /** ORCH-2003: POST /v1/tasks/{id}/cancel → 204 (idempotent). */
  async cancel(taskId: string): Promise<void> {
    await this.call('POST', `/v1/tasks/${enc(taskId)}/cancel`, 204);
  }

  getSession(id: string): Promise<SessionInfo> {
    return this.json<SessionInfo>('GET', `/v1/sessions/${enc(id)}`, 200);
  }

  async deleteSession(id: string): Promise<void> {
    await this.call('DELETE', `/v1/sessions/${enc(id)}`, 204);
  }

  poolHealth(poolId: string): Promise<PoolHealth> {
    return this.json<PoolHealth>('GET', `/v1/pools/${enc(poolId)}/health`, 200);
  }

  drain(poolId: string, body: DrainRequest): Promise<PoolActionAccepted> {
    return this.json<PoolActionAccepted>('POST', `/v1/pools/${enc(poolId)}/drain`, 202, body);
  }

  /** POST /v1/pools/{id}/undrain with an empty JSON body (the whole pool). */
  undrain(poolId: string): Promise<PoolActionAccepted> {
    return this.json<PoolActionAccepted>('POST', `/v1/pools/${enc(poolId)}/undrain`, 202, {});
  }

  reload(poolId: string, body: ReloadRequest): Promise<PoolActionAccepted> {
    return this.json<PoolActionAccepted>('POST', `/v1/pools/${enc(poolId)}/reload`, 202, body);
  }

  /** ORCH-3033: POST /v1/pools/{id}/reload/promote with an empty JSON body: the canary goes on. */
  promote(poolId: string): Promise<PoolActionAccepted> {
    const path = `/v1/pools/${enc(poolId)}/reload/promote`;
    return this.json<PoolActionAccepted>('POST', path, 202, {});
  }

  /** ORCH-3033: POST /v1/pools/{id}/rollback with an empty JSON body: the canary goes back. */
  rollback(poolId: string): Promise<PoolActionAccepted> {
    return this.json<PoolActionAccepted>('POST', `/v1/pools/${enc(poolId)}/rollback`, 202, {});
  }

  capabilities(): Promise<Capabilities> {
    return this.json<Capabilities>('GET', '/v1/capabilities', 200);
  }

  replicaSets(): Promise<ReplicaSetList> {
    return this.json<ReplicaSetList>('GET', '/v1/replicasets', 200);
  }

  /**
   * ORCH-2002: GET /v1/tasks/{id}/stream. Yields validated events until the terminal one;
   * a stream that stops before `end`/`error` is a ProtocolError (never a silent success).
   */
  async *stream(taskId: string, signal?: AbortSignal): AsyncGenerator<SseEvent> {
    const res = await this.call('GET', `/v1/tasks/${enc(taskId)}/stream`, 200, undefined, signal);
    const type = res.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream')) {
      throw new ProtocolError(`stream answered ${type || 'no content type'}, not an SSE stream`);
    }
    if (!res.body) throw new ProtocolError('stream has no body');
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      for (const raw of parser.push(decoder.decode(chunk, { stream: true }))) {
        const event = parseEvent(raw.event, raw.data);
        yield event;
        if (event.event === 'end' || event.event === 'error') return;
      }
    }
    throw new ProtocolError('stream closed before its terminal event');
  }

  private async json<T>(method: string, path: string, ok: number, body?: unknown): Promise<T> {
    const res = await this.call(method, path, ok, body);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ProtocolError(`${method} ${path}: body is not JSON`);
    }
  }

  private async call(
    method: string,
    path: string,
    ok: number,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (path.endsWith('/stream')) headers.accept = 'text/event-stream';
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.o.apiKey) headers['x-api-key'] = this.o.apiKey;
    if (this.o.correlationId) headers['x-correlation-id'] = this.o.correlationId;
    headers.traceparent = this.traceparent;
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new UnreachableError(this.base, error);
    }
    if (res.status === ok) return res;
    if (res.status >= 400) throw await apiErrorFrom(res);
    await res.body?.cancel();
    throw new ProtocolError(`${method} ${path}: expected ${ok}, got ${res.status}`);
  }
}

function parseEvent(name: string, data: string): SseEvent {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    throw new ProtocolError(`SSE ${name} event carries invalid JSON`);
  }
  const checked = validateSseEvent(name, payload);
  if (!checked.ok) throw new ProtocolError(`SSE ${name} event: ${formatIssues(checked.issues)}`);
  return checked.value;
}

const enc = encodeURIComponent;
