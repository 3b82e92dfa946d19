// Helpers to build engine response bodies from their documented formats inside the tests
// (no captured payloads), and to register them as WireMock stubs.
import {
  BodyType,
  DelayType,
  WireMockFault,
  type IWireMockFeatures,
  type WireMock,
} from 'wiremock-captain';

/** SSE body from `data` payloads, `sep` after the field name (`data: ` or TGI's `data:`). */
export function sseBody(payloads: readonly (string | object)[], sep = ': '): string {
  return payloads
    .map((p) => `data${sep}${typeof p === 'string' ? p : JSON.stringify(p)}\n\n`)
    .join('');
}

export interface StubResponse {
  status?: number;
  body: string;
  contentType?: string;
  /** Whole-response delay (slow first token). */
  fixedDelayMs?: number;
  /** Send the body in N chunks spread over `ms` (events split across reads). */
  dribble?: { chunks: number; ms: number };
  fault?: keyof typeof WireMockFault;
}

/** Registers one stub: `method path` (exact path, any query) → the response. */
export async function stub(
  wm: WireMock,
  method: 'GET' | 'POST',
  path: string,
  r: StubResponse,
  priority?: number,
): Promise<void> {
  const features: IWireMockFeatures = { responseBodyType: BodyType.Body };
  if (r.fixedDelayMs !== undefined) {
    features.responseDelay = { type: DelayType.FIXED, constantDelay: r.fixedDelayMs };
  } else if (r.dribble) {
    features.responseDelay = {
      type: DelayType.CHUNKED_DRIBBLE,
      numberOfChunks: r.dribble.chunks,
      totalDuration: r.dribble.ms,
    };
  }
  if (r.fault) features.fault = WireMockFault[r.fault];
  if (priority !== undefined) features.stubPriority = priority;
  await wm.register(
    { method, endpoint: path },
    {
      status: r.status ?? 200,
      body: r.body,
      headers: { 'Content-Type': r.contentType ?? 'text/event-stream' },
    },
    features,
  );
}

/** Fresh mappings for the next case. */
export async function resetStubs(wm: WireMock): Promise<void> {
  await wm.clearAllMappings();
}
