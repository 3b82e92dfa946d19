// Every failure becomes (human text on stderr, documented exit code). Server errors are typed
// (ErrorEnvelope): the code picks the headline, 429/503 get a concrete retry suggestion.
import { httpStatusOf } from '@llama-orch/contracts';
import type { ErrorCode, SseError } from '@llama-orch/contracts';
import { OrchApiError, ProtocolError, UnreachableError } from './api-error.js';
import { ConfigError } from './config.js';
import { EXIT, exitForStatus } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { duration } from './format.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const HEADLINES: Record<ErrorCode, string> = {
  ADMISSION_REJECT: 'the queue is full',
  QUEUE_FULL_DROP_LRU: 'the batch queue is full',
  INVALID_PARAMS: 'the request was rejected as invalid',
  DEADLINE_UNMET: 'the deadline cannot be met',
  NOT_FOUND: 'not found',
  UNAUTHORIZED: 'not authenticated (set ORCH_API_KEY or --api-key)',
  FORBIDDEN: 'not allowed for this API key',
  LEASE_INVALID: 'the stream lease is not valid',
  POOL_UNREADY: 'the pool has no Ready replica right now',
  POOL_UNAVAILABLE: 'no replica serves this model right now',
  REPLICA_EXHAUSTED: 'no replica became free in time',
  MODEL_DEPRECATED: 'the model is deprecated',
  UNTRUSTED_ARTIFACT: 'the model artifact is not trusted',
  DECODE_TIMEOUT: 'the engine stopped producing tokens (decode timeout)',
  WORKER_RESET: 'the engine restarted during the task',
  INTERNAL: 'internal server error',
  REQUEST_TOO_LARGE: 'the request body is too large',
  METHOD_NOT_ALLOWED: 'the server does not accept this method on this path',
};

interface Rendered {
  readonly text: string;
  readonly exit: ExitCode;
}

export function renderError(error: unknown): Rendered {
  if (error instanceof OrchApiError) return renderApiError(error);
  if (error instanceof UnreachableError) {
    return {
      text: `error: ${error.message}\n  is the stack up? (npm run up) — or point ORCH_URL / --url at it\n`,
      exit: EXIT.UNREACHABLE,
    };
  }
  if (error instanceof UsageError) {
    return { text: `error: ${error.message}\n  see: orchctl --help\n`, exit: EXIT.USAGE };
  }
  if (error instanceof ConfigError)
    return { text: `error: config: ${error.message}\n`, exit: EXIT.CONFIG };
  if (error instanceof ProtocolError) {
    return { text: `error: unexpected server answer: ${error.message}\n`, exit: EXIT.FAILURE };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { text: `error: ${message}\n`, exit: EXIT.FAILURE };
}

function renderApiError(e: OrchApiError): Rendered {
  const env = e.envelope;
  const lines = [
    `error: ${HEADLINES[env.code]} (${env.code}, HTTP ${e.status})`,
    `  ${env.message}`,
  ];
  const retry = e.retryInMs;
  if (e.status === 429 || e.status === 503 || env.retriable) {
    const hints: string[] = [];
    if (e.retryAfterS !== undefined) hints.push(`Retry-After: ${e.retryAfterS} s`);
    if (e.backoffMs !== undefined) hints.push(`X-Backoff-Ms: ${e.backoffMs}`);
    if (env.policy_label) hints.push(`policy: ${env.policy_label}`);
    const when = retry === undefined ? 'retry later' : `retry in ${duration(retry)}`;
    lines.push(`  ${when}${hints.length > 0 ? ` (${hints.join(', ')})` : ''}`);
  }
  if (env.engine) lines.push(`  engine: ${env.engine}`);
  if (e.correlationId) lines.push(`  correlation id: ${e.correlationId}`);
  return { text: lines.join('\n') + '\n', exit: exitForStatus(e.status) };
}

/** A terminal `error` event on an open stream (ORCH-2034): same headline, exit by its code. */
export function renderStreamError(data: SseError): Rendered {
  const lines = [`error: ${HEADLINES[data.code]} (${data.code}, in stream)`, `  ${data.message}`];
  if (data.retriable) {
    lines.push(
      data.retry_after_ms === undefined
        ? '  retriable: submit again'
        : `  retriable: submit again in ${duration(data.retry_after_ms)}`,
    );
  }
  lines.push(`  engine: ${data.engine}`);
  return { text: lines.join('\n') + '\n', exit: exitForStatus(httpStatusOf(data.code)) };
}
