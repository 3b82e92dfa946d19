// Consumer-driven contract (ORCH-3044): every OrchQueue v1 interaction orchctl uses, recorded by
// running the real CLI against Pact's mock server. The interactions live in pact-data-plane.ts and
// pact-control-plane.ts; this file owns the one writer of
// contracts/pacts/orchctl-llama-orch-gateway.json, which gateway/test/pact-provider.test.ts
// replays against the real gateway through Envoy.
// The committed pact is what the provider is verified against, so a consumer that drifted from it
// would go unverified: a run fails on any difference and names the changed interactions. Only
// `npm run regen` (its pact step sets LLAMA_ORCH_PACT_WRITE=1) rewrites the file, on purpose.
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PactV4 } from '@pact-foundation/pact';
import { Agent, setGlobalDispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { controlPlaneInteractions } from './pact-control-plane.js';
import { dataPlaneInteractions } from './pact-data-plane.js';
import { CONSUMER, PACT_DIR, PACT_FILE, PROVIDER } from './pact-fixtures.js';

// Written to a fresh directory; in write mode moved over the committed file only when it changed,
// with an atomic rename: the provider verification (another vitest project) may be reading it.
const WRITE = process.env.LLAMA_ORCH_PACT_WRITE === '1';
const outDir = mkdtempSync(join(tmpdir(), 'orch-pact-'));
const pact = new PactV4({
  consumer: CONSUMER,
  provider: PROVIDER,
  dir: outDir,
  logLevel: 'warn',
});

let failed = false;

function readCommitted(): string {
  try {
    return readFileSync(PACT_FILE, 'utf8');
  } catch {
    return ''; // first generation
  }
}

interface PactDoc {
  interactions?: { description?: string }[];
}

/** Which interactions were added, removed or changed between two pact files, for the message. */
function pactDrift(committedText: string, freshText: string): string[] {
  const byDescription = (text: string): Map<string, string> => {
    const doc = (text === '' ? {} : JSON.parse(text)) as PactDoc;
    return new Map(
      (doc.interactions ?? []).map((i) => [i.description ?? '(no description)', JSON.stringify(i)]),
    );
  };
  const before = byDescription(committedText);
  const after = byDescription(freshText);
  const lines: string[] = [];
  for (const [d, i] of after) {
    if (!before.has(d)) lines.push(`added: ${d}`);
    else if (before.get(d) !== i) lines.push(`changed: ${d}`);
  }
  for (const d of before.keys()) if (!after.has(d)) lines.push(`removed: ${d}`);
  if (lines.length === 0) lines.push('metadata or formatting only (same interactions)');
  return lines;
}

function publish(fresh: string): void {
  const staging = `${PACT_DIR}.${CONSUMER}-${PROVIDER}.json.tmp`;
  writeFileSync(staging, fresh);
  renameSync(staging, PACT_FILE);
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
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  dataPlaneInteractions(pact);
  controlPlaneInteractions(pact);

  // Runs after every interaction above (tests in a file run in order). The pact is generated from
  // scratch each run (removed interactions disappear; output is deterministic), so any byte of
  // difference from the committed file is a real change of what orchctl expects.
  it('ORCH-3044: the committed pact is exactly what these interactions produce (drift fails)', () => {
    if (failed) {
      throw new Error('an interaction above failed, so the pact is partial: fix that one first');
    }
    const fresh = readFileSync(join(outDir, `${CONSUMER}-${PROVIDER}.json`), 'utf8');
    const committed = readCommitted();
    if (fresh === committed) return;
    if (WRITE) {
      publish(fresh);
      return;
    }
    throw new Error(
      `${PACT_FILE} differs from what the consumer interactions produce:\n  ${pactDrift(
        committed,
        fresh,
      ).join('\n  ')}\n` +
        'If the change is intended, regenerate it with `npm run regen`, commit the pact, and ' +
        'check the provider still honours it (npm run test:provider); otherwise fix the consumer.',
    );
  });
});
