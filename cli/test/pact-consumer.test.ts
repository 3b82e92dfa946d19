// Consumer-driven contract (ORCH-3044): every OrchQueue v1 interaction orchctl uses, recorded by
// running the real CLI against Pact's mock server. The interactions live in pact-data-plane.ts and
// pact-control-plane.ts; this file owns the one writer of
// contracts/pacts/orchctl-llama-orch-gateway.json, which gateway/test/pact-provider.test.ts
// replays against the real gateway through Envoy.
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PactV4 } from '@pact-foundation/pact';
import { Agent, setGlobalDispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { controlPlaneInteractions } from './pact-control-plane.js';
import { dataPlaneInteractions } from './pact-data-plane.js';
import { CONSUMER, PACT_DIR, PACT_FILE, PROVIDER } from './pact-fixtures.js';

// Written to a fresh directory, then moved over the committed file only when it changed, with an
// atomic rename: the provider verification (another vitest project) may be reading it right now.
const outDir = mkdtempSync(join(tmpdir(), 'orch-pact-'));
const pact = new PactV4({
  consumer: CONSUMER,
  provider: PROVIDER,
  dir: outDir,
  logLevel: 'warn',
});

let failed = false;

function publish(): void {
  // A failed interaction leaves a partial pact: keep the committed one.
  if (failed) return;
  const fresh = readFileSync(join(outDir, `${CONSUMER}-${PROVIDER}.json`), 'utf8');
  let committed = '';
  try {
    committed = readFileSync(PACT_FILE, 'utf8');
  } catch {
    // first generation
  }
  if (fresh !== committed) {
    const staging = `${PACT_DIR}.${CONSUMER}-${PROVIDER}.json.tmp`;
    writeFileSync(staging, fresh);
    renameSync(staging, PACT_FILE);
  }
  rmSync(outDir, { recursive: true, force: true });
}

describe('ORCH-3044: orchctl ↔ gateway consumer pacts (OrchQueue v1)', () => {
  beforeAll(() => {
    // Each interaction gets a new mock server on a random port; never reuse an idle keep-alive
    // socket, which could point at a closed server that had the same port.
    setGlobalDispatcher(new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 }));
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  // Regenerated from scratch each run (removed interactions disappear; output is deterministic).
  afterAll(publish);

  dataPlaneInteractions(pact);
  controlPlaneInteractions(pact);
});
