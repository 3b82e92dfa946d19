// ORCH-2052, ORCH-3144: X-Correlation-Id as the contract declares it (1-128 characters of
// [0-9A-Za-z._:-]), for both paths: the REST app and the ext_proc routes (stream, OpenAI). An
// absent id is minted (UUIDv4); a present but invalid one (empty, too long, other characters,
// sent twice) is refused with 400 INVALID_PARAMS, and that answer carries a minted id, so every
// non-204 response still echoes one.
import { randomUUID } from 'node:crypto';
import { CoreError } from '@llama-orch/core';

/** The contract's pattern (data.yaml components.parameters.CorrelationIdHeader). */
const CORRELATION_ID_PATTERN = /^[0-9A-Za-z._:-]{1,128}$/;

interface ResolvedCorrelationId {
  /** The id to echo: the client's when valid, else a fresh UUIDv4. */
  readonly id: string;
  /** Set when the client sent an invalid id: the request is answered with this. */
  readonly refusal?: CoreError;
}

export function resolveCorrelationId(
  given: string | readonly string[] | undefined,
): ResolvedCorrelationId {
  if (given === undefined) return { id: randomUUID() };
  if (typeof given === 'string' && CORRELATION_ID_PATTERN.test(given)) return { id: given };
  return {
    id: randomUUID(),
    refusal: new CoreError(
      'INVALID_PARAMS',
      'X-Correlation-Id must be one value of 1-128 characters of [0-9A-Za-z._:-]',
    ),
  };
}
