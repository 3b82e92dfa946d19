// Small builders for the consumer pacts: error envelopes, correlation header, text SSE body.
import { MatchersV3 } from '@pact-foundation/pact';
// Not re-exported from the package root; the package has no exports map, so the path is stable.
import type { V4ResponseBuilder } from '@pact-foundation/pact/src/v4/http/types.js';
import type { ErrorCode } from '@llama-orch/contracts';
import { runCli } from '../src/cli.js';
import { fakeIo } from './fake-io.js';

const { like, regex, integer } = MatchersV3;

export const CORRELATION = {
  'X-Correlation-Id': regex('^[0-9A-Za-z._:-]{1,128}$', '7d3c1f9e-0000-4000-8000-0000000000aa'),
};

/**
 * Pact compares Content-Type as a media type with its parameters, so the charset the gateway
 * (fastify) sends is part of the contract.
 */
export const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };

/** ErrorEnvelope (ORCH-2006): exact code, typed message and retriable flag. */
export function envelope(code: ErrorCode, message: string, retriable: boolean, retryMs?: number) {
  return {
    code,
    message: like(message),
    retriable,
    ...(retryMs !== undefined
      ? { retry_after_ms: integer(retryMs), policy_label: like('reject') }
      : {}),
  };
}

interface TextBodyInteraction {
  withResponseBody(body: string, contentType: string): void;
}

/**
 * A text/event-stream body stored as readable text, matched by a regex on the whole body.
 * pact-js only offers binary bodies for non-JSON types (which adds a content-sniffing rule that
 * fails on text); the FFI's text body is the same call jsonBody() makes, with our content type.
 */
export function sseBody(b: V4ResponseBuilder, example: string, pattern: string): V4ResponseBuilder {
  (b as unknown as { interaction: TextBodyInteraction }).interaction.withResponseBody(
    example,
    'text/event-stream',
  );
  return b
    .headers({ 'Content-Type': 'text/event-stream; charset=utf-8', ...CORRELATION })
    .matchingRules({ body: { path: '$', rules: [regex(new RegExp(pattern), example)] } });
}

/** Runs orchctl in-process with a fake terminal; its exit code and both outputs. */
export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo();
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}
