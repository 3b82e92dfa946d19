// Typed errors from the server (ErrorEnvelope, ORCH-2006) and from the transport.
import { isErrorCode } from '@llama-orch/contracts';
import type { ErrorEnvelope } from '@llama-orch/contracts';

export class OrchApiError extends Error {
  constructor(
    readonly status: number,
    readonly envelope: ErrorEnvelope,
    /** Seconds from the Retry-After header, when sent (429). */
    readonly retryAfterS: number | undefined,
    /** Milliseconds from the X-Backoff-Ms header, when sent (429). */
    readonly backoffMs: number | undefined,
    readonly correlationId: string | undefined,
  ) {
    super(`${envelope.code}: ${envelope.message}`);
    this.name = 'OrchApiError';
  }

  /** Best retry hint in ms: X-Backoff-Ms, then the body's retry_after_ms, then Retry-After. */
  get retryInMs(): number | undefined {
    if (this.backoffMs !== undefined) return this.backoffMs;
    if (this.envelope.retry_after_ms !== undefined) return this.envelope.retry_after_ms;
    return this.retryAfterS === undefined ? undefined : this.retryAfterS * 1000;
  }
}

/** The server could not be reached at all. */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach ${url}: ${cause instanceof Error ? causeText(cause) : String(cause)}`);
    this.name = 'UnreachableError';
  }
}

/** The server answered something the contract does not allow. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

function causeText(e: Error): string {
  const inner = (e as { cause?: unknown }).cause;
  if (inner instanceof Error && 'code' in inner) return String((inner as { code: unknown }).code);
  return inner instanceof Error ? inner.message : e.message;
}

const toNumber = (v: string | null): number | undefined => {
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

/** Build an OrchApiError from a non-2xx response; a body that is not an envelope is INTERNAL. */
export async function apiErrorFrom(res: Response): Promise<OrchApiError> {
  const text = await res.text();
  let envelope: ErrorEnvelope = {
    code: res.status === 404 ? 'NOT_FOUND' : 'INTERNAL',
    message: text.slice(0, 200) || `HTTP ${res.status}`,
    retriable: false,
  };
  try {
    const body = JSON.parse(text) as Partial<ErrorEnvelope>;
    if (isErrorCode(body.code) && typeof body.message === 'string') {
      envelope = { ...body, code: body.code, message: body.message, retriable: !!body.retriable };
    }
  } catch {
    // Not JSON (e.g. a proxy's HTML page): keep the synthetic envelope above.
  }
  return new OrchApiError(
    res.status,
    envelope,
    toNumber(res.headers.get('retry-after')),
    toNumber(res.headers.get('x-backoff-ms')),
    res.headers.get('x-correlation-id') ?? envelope.correlation_id,
  );
}
