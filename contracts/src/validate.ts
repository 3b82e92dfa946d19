// Runtime validators the gateway and sidecar call on the hot path, and response validators for
// tests. All schemas come from contracts/openapi/*.yaml (ORCH-3044).
import { check, compiledRef, schemaValidator } from './openapi/ajv.js';
import type { DocName, ValidationIssue, ValidationResult } from './openapi/ajv.js';
import { responseSpec } from './openapi/operations.js';
import type { DrainRequest, ReloadRequest, SseEvent, SseEventName, TaskRequest } from './types.js';
import { SSE_TERMINAL_EVENTS, isSseEventName, parseSseTranscript } from './sse.js';

/** Validate any named component schema of data.yaml or control.yaml. */
export function validateSchema<T = unknown>(
  doc: DocName,
  schema: string,
  value: unknown,
): ValidationResult<T> {
  return check<T>(schemaValidator(doc, schema), value);
}

/** POST /v1/tasks body (ORCH-2001); unknown fields are issues. Does not apply defaults. */
export function validateTaskRequest(body: unknown): ValidationResult<TaskRequest> {
  return validateSchema<TaskRequest>('data', 'TaskRequest', body);
}

export function validateDrainRequest(body: unknown): ValidationResult<DrainRequest> {
  return validateSchema<DrainRequest>('control', 'DrainRequest', body);
}

export function validateReloadRequest(body: unknown): ValidationResult<ReloadRequest> {
  return validateSchema<ReloadRequest>('control', 'ReloadRequest', body);
}

/** A TaskRequest with the documented defaults filled in (sampler v1, placement auto/fallback). */
export type TaskRequestWithDefaults = TaskRequest & {
  sampler_profile_version: string;
  determinism: NonNullable<TaskRequest['determinism']>;
};

export function applyTaskDefaults(req: TaskRequest): TaskRequestWithDefaults {
  const out: TaskRequestWithDefaults = {
    ...req,
    sampler_profile_version: req.sampler_profile_version ?? 'v1',
    determinism: req.determinism ?? 'best_effort',
  };
  if (req.placement) {
    out.placement = {
      ...req.placement,
      mode: req.placement.mode ?? 'auto',
      allow_fallback: req.placement.allow_fallback ?? true,
    };
  }
  return out;
}

const SSE_SCHEMA: Record<SseEventName, string> = {
  started: 'SseStarted',
  token: 'SseToken',
  metrics: 'SseMetrics',
  end: 'SseEnd',
  error: 'SseError',
};

/** Validate one event's payload against its schema (ORCH-2002). */
export function validateSseEvent(event: string, data: unknown): ValidationResult<SseEvent> {
  if (!isSseEventName(event)) {
    return {
      ok: false,
      issues: [{ path: '/event', message: `unknown event ${event}`, keyword: 'enum' }],
    };
  }
  const r = validateSchema('data', SSE_SCHEMA[event], data);
  return r.ok ? { ok: true, value: { event, data } as SseEvent, issues: [] } : r;
}

/**
 * Validate a full transcript: framing, every payload, order started → token* → metrics* →
 * exactly one terminal event, token indexes 0,1,2... (ORCH-2002, ORCH-2027, ORCH-2029). A
 * transcript may be a lone terminal event (canceled or expired while queued, ORCH-4005).
 */
export function validateSseTranscript(text: string): ValidationResult<SseEvent[]> {
  const issues: ValidationIssue[] = [];
  let raw;
  try {
    raw = parseSseTranscript(text);
  } catch (e) {
    return {
      ok: false,
      issues: [{ path: '/', message: String((e as Error).message), keyword: 'framing' }],
    };
  }
  const events: SseEvent[] = [];
  raw.forEach((r, n) => {
    let data: unknown;
    try {
      data = JSON.parse(r.data);
    } catch {
      issues.push({ path: `/${n}/data`, message: 'data is not JSON', keyword: 'framing' });
      return;
    }
    const v = validateSseEvent(r.event, data);
    if (v.ok) events.push(v.value);
    else issues.push(...v.issues.map((i) => ({ ...i, path: `/${n}/${r.event}${i.path}` })));
  });
  issues.push(...sequenceIssues(events));
  return issues.length === 0 ? { ok: true, value: events, issues: [] } : { ok: false, issues };
}

/** Order rules over already-typed events (usable by stream writers' own tests). */
export function sequenceIssues(events: SseEvent[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (n: number, message: string): void => {
    issues.push({ path: `/${n}`, message, keyword: 'order' });
  };
  const terminal = SSE_TERMINAL_EVENTS as readonly string[];
  const terminals = events.filter((e) => terminal.includes(e.event)).length;
  if (terminals !== 1) at(events.length, `expected exactly one terminal event, got ${terminals}`);
  const last = events.at(-1);
  if (last && !terminal.includes(last.event))
    at(events.length - 1, 'stream must end with end or error');
  const lone = events.length === 1 && last !== undefined && terminal.includes(last.event);
  if (!lone && events[0]?.event !== 'started') at(0, 'first event must be started');
  let nextToken = 0;
  let seenMetrics = false;
  events.forEach((e, n) => {
    if (e.event === 'started' && n !== 0) at(n, 'started must be first and only once');
    if (e.event === 'token') {
      if (seenMetrics) at(n, 'token after metrics');
      if (e.data.i !== nextToken) at(n, `token index ${e.data.i}, expected ${nextToken}`);
      nextToken = e.data.i + 1;
    }
    if (e.event === 'metrics') seenMetrics = true;
  });
  return issues;
}

/**
 * Validate a response (status, JSON body, headers) against the operation's declaration. For
 * tests of the REST layer: undeclared status, missing required header (X-Correlation-Id,
 * Retry-After, X-Backoff-Ms) or a body off-schema are issues.
 */
export function validateResponse(
  operationId: string,
  status: number,
  body: unknown,
  headers?: Record<string, string | string[] | undefined>,
): ValidationResult<unknown> {
  const spec = responseSpec(operationId, status);
  if (!spec) {
    return {
      ok: false,
      issues: [
        {
          path: '/status',
          message: `status ${status} not declared for ${operationId}`,
          keyword: 'status',
        },
      ],
    };
  }
  const issues: ValidationIssue[] = [];
  if (headers) {
    const have = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
    for (const h of spec.requiredHeaders) {
      if (!have.has(h))
        issues.push({ path: `/headers/${h}`, message: `missing header ${h}`, keyword: 'required' });
    }
  }
  if (spec.schemaRef) {
    const r = check(compiledRef(spec.schemaRef), body);
    if (!r.ok) issues.push(...r.issues);
  }
  return issues.length === 0 ? { ok: true, value: body, issues: [] } : { ok: false, issues };
}

/**
 * Compile the hot-path validators now (request bodies, SSE events) so the first request does
 * not pay Ajv's compile cost (~70 ms on a 2-core VM: the shared Ajv instance and both documents,
 * then each schema). Placement and the sidecar call it at start, before they listen. Safe to call
 * more than once; returns how many were compiled.
 */
export function warmValidators(): number {
  const data = [
    'TaskRequest',
    'ChatCompletionRequest',
    'CompletionRequest',
    'ErrorEnvelope',
    'BackpressureErrorEnvelope',
    ...Object.values(SSE_SCHEMA),
  ];
  for (const name of data) schemaValidator('data', name);
  for (const name of ['DrainRequest', 'ReloadRequest']) schemaValidator('control', name);
  return data.length + 2;
}

/** Render issues as one line each, e.g. for an INVALID_PARAMS message. */
export function formatIssues(issues: ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
