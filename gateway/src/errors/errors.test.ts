import { CoreError } from '@llama-orch/core';
import { describe, expect, it } from 'vitest';
import { toHttpError } from './http-error.js';
import { toImmediateError } from './immediate-error.js';

describe('error mapping', () => {
  it('ORCH-2007: 429 carries Retry-After (seconds) and X-Backoff-Ms', () => {
    const reply = toHttpError(
      new CoreError('ADMISSION_REJECT', 'full', { retryAfterMs: 1500 }),
      'c',
    );
    expect(reply.status).toBe(429);
    expect(reply.headers).toMatchObject({ 'retry-after': '2', 'x-backoff-ms': '1500' });
    expect(reply.body).toMatchObject({
      code: 'ADMISSION_REJECT',
      retriable: true,
      correlation_id: 'c',
    });
  });

  it('ORCH-2006: unknown errors become INTERNAL 500 envelopes', () => {
    const reply = toHttpError(new Error('x'), undefined);
    expect(reply.status).toBe(500);
    expect(reply.body.code).toBe('INTERNAL');
    expect(reply.body).not.toHaveProperty('correlation_id');
  });

  it('ORCH-4005: unknown task → ImmediateResponse 404 JSON envelope', () => {
    const d = toImmediateError(new CoreError('NOT_FOUND', 'no task t'), 'c1');
    expect(d.status).toBe(404);
    expect(d.headers['content-type']).toBe('application/json');
    expect(d.headers['x-correlation-id']).toBe('c1');
    expect(JSON.parse(d.body)).toMatchObject({ code: 'NOT_FOUND', retriable: false });
  });
});
