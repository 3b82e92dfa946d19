// error → HTTP response (status, headers, ErrorEnvelope body). The only place REST errors are shaped.
import type { ErrorResponse } from '@llama-orch/contracts';
import { errorReply } from './errors.js';

export function toHttpError(error: unknown, correlationId: string | undefined): ErrorResponse {
  return errorReply(error, correlationId);
}
