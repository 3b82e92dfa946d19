// Every error core can produce: CoreError over the contract's ErrorEnvelope.code catalogue
// (ORCH-3025), which contracts declares once with each code's HTTP status and retriability.
import type { Engine } from './engine.js';

// The one catalogue (ORCH-2006/2007/3106): contracts owns every code with its HTTP status and
// retriability; core only re-exports it. The `./errors` entry is pure data (no validators, no
// I/O), so core stays a pure library.
import { ERROR_CODES as CATALOGUE } from '@llama-orch/contracts/errors';

export type ErrorCode = keyof typeof CATALOGUE;

export interface ErrorSpec {
  httpStatus: number;
  retriable: boolean;
}

/** The contracts' catalogue, as core has always exposed it. */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorSpec>> = CATALOGUE;

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
