import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  ERROR_CODE_LIST,
  errorEnvelope,
  errorResponse,
  isErrorCode,
} from './errors.js';
import { dataDocument } from './openapi/documents.js';
import { validateSchema } from './validate.js';

const schema = dataDocument.components.schemas.ErrorCode as {
  enum: string[];
  'x-http-status': Record<string, number>;
  'x-retriable': Record<string, boolean>;
};

describe('ORCH-2006: ERROR_CODES matches the ErrorCode enum in data.yaml', () => {
  it('ORCH-2006: same codes, same order', () => {
    expect(ERROR_CODE_LIST).toEqual(schema.enum);
  });
  it('ORCH-2006: same HTTP status per code', () => {
    const table = Object.fromEntries(ERROR_CODE_LIST.map((c) => [c, ERROR_CODES[c].httpStatus]));
    expect(table).toEqual(schema['x-http-status']);
  });
  it('ORCH-3025: same default retriability per code', () => {
    const table = Object.fromEntries(ERROR_CODE_LIST.map((c) => [c, ERROR_CODES[c].retriable]));
    expect(table).toEqual(schema['x-retriable']);
  });
  it('ORCH-2006: isErrorCode rejects strangers and prototype keys', () => {
    expect(isErrorCode('INTERNAL')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});

describe('ORCH-2006: errorEnvelope builds schema-valid bodies', () => {
  it('ORCH-2006: retriable defaults from the table; optional fields omitted', () => {
    const e = errorEnvelope({ code: 'POOL_UNREADY', message: 'no replica', engine: 'llamacpp' });
    expect(e).toEqual({
      code: 'POOL_UNREADY',
      message: 'no replica',
      engine: 'llamacpp',
      retriable: true,
    });
    expect(validateSchema('data', 'ErrorEnvelope', e).issues).toEqual([]);
  });
  it('ORCH-2007: backpressure needs policy_label and retry_after_ms', () => {
    expect(() => errorEnvelope({ code: 'ADMISSION_REJECT', message: 'full' })).toThrow(
      /policy_label/,
    );
    const r = errorResponse({
      code: 'QUEUE_FULL_DROP_LRU',
      message: 'dropped oldest batch task',
      retry_after_ms: 1500,
      policy_label: 'drop-lru',
      correlation_id: 'c-1',
    });
    expect(r.status).toBe(429);
    expect(r.headers).toMatchObject({
      'retry-after': '2',
      'x-backoff-ms': '1500',
      'x-correlation-id': 'c-1',
    });
    expect(validateSchema('data', 'BackpressureErrorEnvelope', r.body).issues).toEqual([]);
  });
  it('ORCH-2006: every code maps to its status through errorResponse', () => {
    for (const code of ERROR_CODE_LIST) {
      const extra =
        code === 'ADMISSION_REJECT' || code === 'QUEUE_FULL_DROP_LRU'
          ? { retry_after_ms: 1, policy_label: 'reject' }
          : {};
      expect(errorResponse({ code, message: 'm', ...extra }).status).toBe(
        ERROR_CODES[code].httpStatus,
      );
    }
  });
});
