// Every error core can produce. Codes are the contract's ErrorEnvelope.code enum (wire-protocol.md);
// each is declared once here with its HTTP status and whether a client may retry it (ORCH-3025).
import type { Engine } from './types.js';

export type ErrorCode =
  | 'ADMISSION_REJECT'
  | 'QUEUE_FULL_DROP_LRU'
  | 'INVALID_PARAMS'
  | 'DEADLINE_UNMET'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'LEASE_INVALID'
  | 'POOL_UNREADY'
  | 'POOL_UNAVAILABLE'
  | 'REPLICA_EXHAUSTED'
  | 'MODEL_DEPRECATED'
  | 'UNTRUSTED_ARTIFACT'
  | 'DECODE_TIMEOUT'
  | 'WORKER_RESET'
  | 'INTERNAL';

export interface ErrorSpec {
  httpStatus: number;
  retriable: boolean;
}

/** One table, one row per code (ORCH-2006/2007). */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorSpec>> = {
  ADMISSION_REJECT: { httpStatus: 429, retriable: true },
  QUEUE_FULL_DROP_LRU: { httpStatus: 429, retriable: true },
  INVALID_PARAMS: { httpStatus: 400, retriable: false },
  DEADLINE_UNMET: { httpStatus: 400, retriable: false },
  NOT_FOUND: { httpStatus: 404, retriable: false },
  UNAUTHORIZED: { httpStatus: 401, retriable: false },
  FORBIDDEN: { httpStatus: 403, retriable: false },
  LEASE_INVALID: { httpStatus: 403, retriable: false },
  POOL_UNREADY: { httpStatus: 503, retriable: true },
  POOL_UNAVAILABLE: { httpStatus: 503, retriable: true },
  REPLICA_EXHAUSTED: { httpStatus: 503, retriable: true },
  MODEL_DEPRECATED: { httpStatus: 400, retriable: false },
  UNTRUSTED_ARTIFACT: { httpStatus: 400, retriable: false },
  DECODE_TIMEOUT: { httpStatus: 500, retriable: true },
  WORKER_RESET: { httpStatus: 500, retriable: true },
  INTERNAL: { httpStatus: 500, retriable: false },
};

export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_TABLE, value);
}

export interface CoreErrorOptions {
  retriable?: boolean;
  retryAfterMs?: number;
  policyLabel?: string;
  engine?: Engine;
}

/** Plain envelope shape (contract ErrorEnvelope minus correlation_id, which the gateway adds). */
export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  engine?: Engine;
  retriable: boolean;
  retry_after_ms?: number;
  policy_label?: string;
}

export class CoreError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly retriable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly policyLabel: string | undefined;
  readonly engine: Engine | undefined;

  constructor(code: ErrorCode, message: string, options: CoreErrorOptions = {}) {
    super(message);
    this.name = 'CoreError';
    this.code = code;
    this.httpStatus = ERROR_TABLE[code].httpStatus;
    this.retriable = options.retriable ?? ERROR_TABLE[code].retriable;
    // A retry hint only makes sense for a retriable error; rounding keeps headers integral.
    this.retryAfterMs =
      this.retriable && options.retryAfterMs !== undefined
        ? Math.max(0, Math.ceil(options.retryAfterMs))
        : undefined;
    this.policyLabel = options.policyLabel;
    this.engine = options.engine;
  }

  toEnvelope(): ErrorEnvelope {
    const env: ErrorEnvelope = {
      code: this.code,
      message: this.message,
      retriable: this.retriable,
    };
    if (this.engine !== undefined) env.engine = this.engine;
    if (this.retryAfterMs !== undefined) env.retry_after_ms = this.retryAfterMs;
    if (this.policyLabel !== undefined) env.policy_label = this.policyLabel;
    return env;
  }
}

export function coreError(code: ErrorCode, message: string, options?: CoreErrorOptions): CoreError {
  return new CoreError(code, message, options);
}
