// WireMock stubs derived from the committed consumer pact: each interaction's example response
// becomes a stub for its method and path, so orchctl's human output can be pinned against what
// the contract says the gateway answers (not against hand-written fixtures).
import { readFileSync } from 'node:fs';
import { BodyType, DelayType } from 'wiremock-captain';
import type { IWireMockFeatures, WireMock } from 'wiremock-captain';
import { PACT_FILE } from './pact-fixtures.js';

interface PactInteraction {
  description: string;
  request: { method: string; path: string };
  response: {
    status: number;
    headers?: Record<string, string[]>;
    body?: { content: unknown; contentType: string };
  };
}

const interactions = (
  JSON.parse(readFileSync(PACT_FILE, 'utf8')) as { interactions: PactInteraction[] }
).interactions;

function interaction(description: string): PactInteraction {
  const found = interactions.find((i) => i.description === description);
  if (!found) throw new Error(`no pact interaction "${description}" in ${PACT_FILE}`);
  return found;
}

/** Registers the interaction's example response; `path` overrides the pact's request path. */
export async function stubFromPact(
  mock: WireMock,
  description: string,
  opts: { path?: string; delayMs?: number } = {},
): Promise<void> {
  const i = interaction(description);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.response.headers ?? {})) headers[k] = v.join(', ');
  const content = i.response.body?.content;
  const body =
    content === undefined
      ? undefined
      : typeof content === 'string'
        ? content
        : JSON.stringify(content);
  const features: IWireMockFeatures = { responseBodyType: BodyType.Body };
  if (opts.delayMs !== undefined) {
    features.responseDelay = { type: DelayType.FIXED, constantDelay: opts.delayMs };
  }
  await mock.register(
    { method: i.request.method as 'GET', endpoint: opts.path ?? i.request.path },
    { status: i.response.status, headers, ...(body !== undefined ? { body } : {}) },
    features,
  );
}
