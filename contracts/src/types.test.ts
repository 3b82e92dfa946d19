import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Capabilities, ErrorCode, SseEvent, TaskRequest } from './types.js';
import type { ERROR_CODES } from './errors.js';
import { openApiVersion } from './openapi/documents.js';
import { validateSchema } from './validate.js';

describe('ORCH-3044: generated types line up with the schemas', () => {
  it('ORCH-3044: ErrorCode type equals the ERROR_CODES keys', () => {
    expectTypeOf<keyof typeof ERROR_CODES>().toEqualTypeOf<ErrorCode>();
  });
  it('ORCH-2002: SseEvent is a union discriminated by event', () => {
    const e: SseEvent = { event: 'token', data: { t: 'x', i: 0 } };
    if (e.event === 'token') expectTypeOf(e.data.i).toEqualTypeOf<number>();
    expectTypeOf<TaskRequest['engine']>().toEqualTypeOf<'llamacpp' | 'vllm' | 'tgi' | 'triton'>();
  });
  it('ORCH-3095: a Capabilities value typed from the generated types validates', () => {
    const caps: Capabilities = {
      api_version: openApiVersion,
      engines: [
        {
          engine: 'llamacpp',
          engine_versions: ['b1'],
          ctx_max: 2048,
          max_tokens: 2048,
          slots: 1,
          workloads: ['completion'],
          limits: { queue_capacity: { interactive: 1, batch: 1 } },
          features: [],
        },
      ],
    };
    expect(validateSchema('control', 'Capabilities', caps).issues).toEqual([]);
  });
});
