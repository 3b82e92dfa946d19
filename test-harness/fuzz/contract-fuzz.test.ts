// ORCH-3144: schemathesis (pinned, installed by the toolchain) against both OpenAPI documents,
// through Envoy, with authentication on: the data plane with a tenant key, the control plane with
// an operator key, both again with invalid keys. Every check and every phase (examples, coverage,
// fuzzing, stateful) runs; the suite fails on any failure or error, and when fewer than
// LLAMA_ORCH_FUZZ_MIN_CASES cases ran (5,000 by default). LLAMA_ORCH_FUZZ_LONG=1 runs ten times
// as many examples per operation.
// ORCH-3141: the same stack writes every log line (placement at debug, sidecars, Envoy with its
// access log) to a file; afterwards no key any run sent may appear in it.
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSchemathesis, recordTestKeys } from '@llama-orch/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startStack } from '../src/stack/index.js';
import type { Stack } from '../src/stack/index.js';

const LONG = process.env.LLAMA_ORCH_FUZZ_LONG === '1';
const MIN_CASES = Number(process.env.LLAMA_ORCH_FUZZ_MIN_CASES ?? 5_000);
const CONFIG = fileURLToPath(new URL('./schemathesis.toml', import.meta.url));
const DATA = join(REPO_ROOT, 'contracts/openapi/data.yaml');
const CONTROL = join(REPO_ROOT, 'contracts/openapi/control.yaml');

/** Keys only this suite knows; the log check searches for each of them. */
const KEYS = {
  tenant: 'fuzz-tenant-key-7f3a9c1e5b2d4086',
  operator: 'fuzz-operator-key-0b8e6d2c4a1f3957',
  unknown: 'fuzz-unknown-key-5c2e8a0d6b4f1937',
  wrongShape: 'fuzz wrong shape key',
} as const;

interface FuzzRun {
  readonly name: string;
  readonly cases: number;
  readonly failures: number;
  readonly errors: number;
  readonly seconds: number;
  readonly tail: string;
}

const runs: FuzzRun[] = [];

function fuzz(
  python: string,
  name: string,
  schema: string,
  url: string,
  headers: readonly string[],
  examples: number,
  reportDir: string,
): Promise<FuzzRun> {
  const t0 = performance.now();
  const args = [
    '-m',
    'schemathesis.cli',
    '--config-file',
    CONFIG,
    'run',
    schema,
    '--url',
    url,
    ...headers.flatMap((h) => ['-H', h]),
    '--checks',
    'all',
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--max-examples',
    String(examples),
    // One worker: CPython 3.11's ast.parse is not thread-safe ("AST constructor recursion depth
    // mismatch" inside hypothesis with two), and the one CPU replica is the bottleneck anyway.
    '--workers',
    '1',
    '--seed',
    '3144',
    '--request-timeout',
    '180',
    '--max-response-time',
    '170',
    '--generation-database',
    'none',
    '--no-color',
    '--report',
    'ndjson',
    '--report-dir',
    join(reportDir, name),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      python,
      args,
      // Its working dir is the run's report dir: schemathesis leaves a .schemathesis cache there.
      { cwd: reportDir, timeout: 1_500_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const out = `${stdout}\n${stderr}`;
        // The summary line: "2211 generated, 2211 passed in 301.20s" (failures and errors named).
        const generated = /(\d+) generated/.exec(out);
        if (generated === null) {
          reject(
            new Error(
              `schemathesis ${name} printed no summary (${String(error)}):\n${out.slice(-4000)}`,
            ),
          );
          return;
        }
        const count = (what: RegExp): number => Number(what.exec(out)?.[1] ?? 0);
        resolve({
          name,
          cases: Number(generated[1]),
          failures: count(/(\d+) failures?\b/),
          errors: count(/(\d+) errors?\b/),
          seconds: (performance.now() - t0) / 1000,
          tail: out.slice(-6000),
        });
      },
    );
  });
}

describe('ORCH-3144: the contracts survive schemathesis through Envoy with auth on', () => {
  let stack: Stack | undefined;
  let python: string;
  let workDir: string;
  let logFile: string;

  beforeAll(async () => {
    // No silent skip: a missing venv fails here, naming the bootstrap.
    python = (await loadSchemathesis()).python;
    recordTestKeys(Object.values(KEYS)); // the run's log scan searches every log for these too
    workDir = mkdtempSync(join(tmpdir(), 'llama-orch-fuzz-'));
    logFile = join(workDir, 'stack.log');
    stack = await startStack({
      apiKey: KEYS.operator,
      envoyAccessLog: true,
      logLevel: 'debug',
      write: (s) => appendFileSync(logFile, s),
      tweak: (c, { apiKeyHmac }) => {
        c.auth.required = true;
        c.tenants = [
          {
            id: 'ops',
            api_key_hmac: [apiKeyHmac(KEYS.operator)],
            weight: 1,
            operator: true,
            quotas: {},
          },
          {
            id: 'acme',
            api_key_hmac: [apiKeyHmac(KEYS.tenant)],
            weight: 1,
            operator: false,
            quotas: {},
          },
        ];
        // A small context bounds every generation (prompt plus max_tokens fit in ctx_max), so an
        // accepted fuzz case costs the CPU model a moment; a short wall_ms instead would end long
        // ones as DECODE_TIMEOUT and open the replica's circuit breaker. Short queues: under fuzz
        // load the one replica is busy, and a full queue is a prompt 429 (documented
        // backpressure) instead of a REPLICA_EXHAUSTED 503 after a long wait.
        const pool = c.pools[0];
        if (pool) pool.ctx_max = 256;
        c.queue.interactive.capacity = 4;
        c.queue.batch.capacity = 4;
        for (const p of c.pools) p.queue = structuredClone(c.queue);
        c.timeouts.attach_timeout_ms = 1_000;
        // One slot on a loaded CPU: a queued request may wait for a few long generations before
        // it; the default 30 s would end some as REPLICA_EXHAUSTED (503), a capacity answer, not
        // a contract one. The client's timeout below stays above it.
        c.timeouts.queue_wait_ms = 120_000;
      },
      readyTimeoutMs: 300_000,
    });
  }, 400_000);

  afterAll(async () => {
    const total = runs.reduce((n, r) => n + r.cases, 0);
    const seconds = runs.reduce((n, r) => n + r.seconds, 0);
    process.stdout.write(
      `schemathesis: ${total} cases in ${seconds.toFixed(0)} s (${runs
        .map((r) => `${r.name} ${r.cases} in ${r.seconds.toFixed(0)} s`)
        .join(', ')})\n`,
    );
    await stack?.close();
    rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  // The coverage phase makes most cases whatever this is (6,951 in all with 50); the fuzzing
  // phase scales with it, and the accepted OpenAI cases cost real generations.
  const examples = LONG ? 1_000 : 50;
  const plan = [
    // Both schemes carry the same key: schemathesis generates values for the declared security
    // schemes, and a request whose two headers disagree is (rightly) a 401.
    {
      name: 'data-tenant-key',
      schema: DATA,
      headers: [`X-API-Key: ${KEYS.tenant}`, `Authorization: Bearer ${KEYS.tenant}`],
      examples,
      // Not POST /v1/tasks: its example names a model and pool this stack does not have, and
      // generated model refs name none (404, ORCH-2013). The OpenAI routes admit through the same
      // TaskService.admit, and their example names the served model.
      accepted: ['POST /v1/chat/completions', 'GET /v1/models'],
    },
    {
      name: 'control-operator-key',
      schema: CONTROL,
      headers: [`X-API-Key: ${KEYS.operator}`, `Authorization: Bearer ${KEYS.operator}`],
      examples,
      // Generated pool ids name no pool (404); the documents' examples and these reach the logic.
      accepted: ['GET /v1/replicasets', 'GET /v1/capabilities'],
    },
    {
      name: 'data-unknown-key',
      schema: DATA,
      headers: [`X-API-Key: ${KEYS.unknown}`, `Authorization: Bearer ${KEYS.unknown}`],
      examples: Math.ceil(examples / 5),
      accepted: [],
    },
    {
      name: 'control-tenant-key',
      schema: CONTROL,
      headers: [`X-API-Key: ${KEYS.tenant}`, `Authorization: Bearer ${KEYS.tenant}`],
      examples: Math.ceil(examples / 5),
      accepted: [],
    },
    {
      name: 'data-malformed-key',
      schema: DATA,
      headers: [`Authorization: Bearer ${KEYS.wrongShape}`],
      examples: Math.ceil(examples / 5),
      accepted: [],
    },
  ];

  for (const p of plan) {
    it(`ORCH-3144: ${p.name}: all checks and phases, 0 failures`, async () => {
      if (!stack) throw new Error('no stack');
      const r = await fuzz(python, p.name, p.schema, stack.url, p.headers, p.examples, workDir);
      runs.push(r);
      expect(r.failures, r.tail).toBe(0);
      expect(r.errors, r.tail).toBe(0);
      expect(r.cases).toBeGreaterThan(0);
      // The run reached the API's logic, not only its auth: these operations answered 2xx.
      const ok = acceptedOperations(join(workDir, p.name));
      for (const op of p.accepted) expect(ok, `${op} never answered 2xx`).toContain(op);
    }, 1_600_000);
  }

  it(`ORCH-3144: at least ${MIN_CASES} cases ran in all`, () => {
    expect(runs).toHaveLength(plan.length);
    expect(runs.reduce((n, r) => n + r.cases, 0)).toBeGreaterThanOrEqual(MIN_CASES);
  });

  it('ORCH-3141: no API key appears in any log the stack wrote', async () => {
    if (!stack) throw new Error('no stack');
    // A few explicit calls too: accepted, unknown key, malformed, and a route that does not exist.
    for (const [key, path] of [
      [KEYS.tenant, '/v1/capabilities'],
      [KEYS.unknown, '/v1/capabilities'],
      [KEYS.tenant, '/v1/tasks/00000000-0000-4000-8000-000000000000/stream'],
      [KEYS.unknown, '/v1/tasks/00000000-0000-4000-8000-000000000000/stream'],
      [KEYS.operator, '/v1/pools/default/health'],
      [KEYS.tenant, '/no/such/route'],
    ] as const) {
      await fetch(`${stack.url}${path}`, { headers: { 'x-api-key': key } }).then((r) => r.text());
      await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${key}` } }).then(
        (r) => r.text(),
      );
    }
    await new Promise((r) => setTimeout(r, 1_000)); // Envoy flushes its access log
    const files = [logFile, ...filesUnder(stack.dir)];
    const text = files.map((f) => readFileSync(f, 'latin1')).join('\n');
    // The logs are not empty: the access log names the routes the calls took.
    expect(text).toContain('/v1/capabilities');
    for (const key of Object.values(KEYS)) {
      const hits = files.filter((f) => readFileSync(f, 'latin1').includes(key));
      expect(hits, `key ${key.slice(0, 10)}… found in ${hits.join(', ')}`).toEqual([]);
    }
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Operations ("POST /v1/tasks") that answered at least one 2xx in a run's NDJSON report. */
function acceptedOperations(reportDir: string): string[] {
  const seen = new Set<string>();
  for (const file of filesUnder(reportDir).filter((f) => f.endsWith('.ndjson'))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"ScenarioFinished"')) continue;
      const event = JSON.parse(line) as {
        ScenarioFinished?: {
          recorder?: {
            interactions?: Record<
              string,
              { request?: { method?: string; uri?: string }; response?: { status_code?: number } }
            >;
          };
        };
      };
      for (const i of Object.values(event.ScenarioFinished?.recorder?.interactions ?? {})) {
        const status = i.response?.status_code ?? 0;
        if (status < 200 || status > 299 || !i.request?.uri) continue;
        seen.add(`${i.request.method ?? ''} ${templateOf(new URL(i.request.uri).pathname)}`);
      }
    }
  }
  return [...seen];
}

/** The contract's path template of a concrete path (ids back to their parameter names). */
function templateOf(path: string): string {
  return path
    .replace(/^\/v1\/tasks\/[^/]+\/(stream|cancel)$/, '/v1/tasks/{id}/$1')
    .replace(/^\/v1\/sessions\/[^/]+$/, '/v1/sessions/{id}')
    .replace(/^\/v1\/pools\/[^/]+\/(.+)$/, '/v1/pools/{id}/$1');
}
