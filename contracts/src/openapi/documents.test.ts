import { describe, expect, it } from 'vitest';
import { controlDocument, dataDocument, openApiVersion } from './documents.js';
import { listOperations, responseSpec } from './operations.js';

const ops = listOperations();

describe('ORCH-3044: OpenAPI documents are versioned and traceable', () => {
  it('ORCH-3044: both documents are OpenAPI 3.1 with the same semver info.version', () => {
    expect(dataDocument.openapi).toBe('3.1.0');
    expect(controlDocument.openapi).toBe('3.1.0');
    expect(openApiVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(controlDocument.info.version).toBe(openApiVersion);
  });

  it('ORCH-3044: every operation carries x-req-id ORCH-xxxx', () => {
    expect(ops.length).toBe(17);
    for (const op of ops) expect(op.reqId, op.operationId).toMatch(/^ORCH-\d{4}$/);
  });

  it('ORCH-2001/2002/2003/2004/2005: data-plane routes map to their seed IDs', () => {
    const byId = Object.fromEntries(
      ops.map((o) => [o.operationId, `${o.method} ${o.path} ${o.reqId}`]),
    );
    expect(byId).toMatchObject({
      createTask: 'post /v1/tasks ORCH-2001',
      streamTask: 'get /v1/tasks/{id}/stream ORCH-2002',
      cancelTask: 'post /v1/tasks/{id}/cancel ORCH-2003',
      getSession: 'get /v1/sessions/{id} ORCH-2004',
      deleteSession: 'delete /v1/sessions/{id} ORCH-2005',
      drainPool: 'post /v1/pools/{id}/drain ORCH-2101',
      reloadPool: 'post /v1/pools/{id}/reload ORCH-2102',
      getPoolHealth: 'get /v1/pools/{id}/health ORCH-2103',
      listReplicaSets: 'get /v1/replicasets ORCH-2104',
      getCapabilities: 'get /v1/capabilities ORCH-3095',
    });
  });
});

describe('ORCH-2052: X-Correlation-Id is required on every non-204 response', () => {
  for (const op of ops) {
    const responses = op.operation.responses as Record<string, unknown>;
    for (const status of Object.keys(responses)) {
      it(`ORCH-2052: ${op.operationId} ${status}`, () => {
        const spec = responseSpec(op.operationId, Number(status));
        expect(spec).toBeDefined();
        if (status === '204') expect(spec?.contentTypes).toEqual([]);
        else expect(spec?.requiredHeaders).toContain('x-correlation-id');
      });
    }
  }
});

describe('ORCH-2007: 429 responses carry Retry-After and X-Backoff-Ms', () => {
  it('ORCH-2007: POST /v1/tasks 429 declares both headers and the backpressure body', () => {
    const spec = responseSpec('createTask', 429);
    expect(spec?.requiredHeaders).toEqual(expect.arrayContaining(['retry-after', 'x-backoff-ms']));
    expect(spec?.schemaRef).toMatch(/BackpressureErrorEnvelope$/);
  });
});

describe('ORCH-2034: stream errors before the stream opens use HTTP status', () => {
  it('ORCH-4012: stream declares 403 LEASE_INVALID, 404 and fail-closed 503', () => {
    for (const s of [200, 403, 404, 503])
      expect(responseSpec('streamTask', s), String(s)).toBeDefined();
    expect(responseSpec('streamTask', 200)?.contentTypes).toEqual(['text/event-stream']);
  });
});
