// The webhook as its Deployment runs it (ORCH-3113): `node deploy/dist/webhook.mjs`, the bundle
// its image builds once (tools/build-runtime.mjs, built here first), configured by env only, in
// cert-manager mode (WEBHOOK_TLS_DIR with tls.crt, tls.key, ca.crt), where it must serve that
// certificate and leave caBundle alone. Loopback only.
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@llama-orch/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedServingTls } from '../webhook/tls.js';
import { DETERMINISTIC_ARGS } from './support/worker-args.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tls = selfSignedServingTls(['localhost'], ['127.0.0.1']);
let dir = '';
let port = 0;
let child: ChildProcess | undefined;
let output = '';

function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca: tls.caCert,
        headers: { 'content-type': 'application/json' },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llama-orch-webhook-tls-'));
  await writeFile(join(dir, 'tls.crt'), tls.cert);
  await writeFile(join(dir, 'tls.key'), tls.key, { mode: 0o600 });
  await writeFile(join(dir, 'ca.crt'), tls.caCert);
  port = await freePort();
  execFileSync(process.execPath, ['tools/build-runtime.mjs', 'webhook'], { cwd: REPO_ROOT });
  child = spawn(process.execPath, ['deploy/dist/webhook.mjs'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      WEBHOOK_HOST: '127.0.0.1',
      WEBHOOK_PORT: String(port),
      WEBHOOK_TLS_DIR: dir,
      SIDECAR_IMAGE: 'llama-orch/sidecar:0.1.0',
      DETERMINISM: 'strict',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!output.includes('webhook listening')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`webhook did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('ORCH-3113: the webhook process in cert-manager mode', () => {
  it('ORCH-3113: serves the mounted certificate and answers an AdmissionReview', async () => {
    const pod = {
      metadata: {
        name: 'w',
        labels: { 'llama-orch.io/engine': 'llamacpp' },
        annotations: { 'llama-orch.io/model-ref': 'M' },
      },
      spec: {
        containers: [
          {
            name: 'llama',
            args: [...DETERMINISTIC_ARGS],
          },
        ],
      },
    };
    const r = await post('/mutate', {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u-9',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'gpu',
        object: pod,
      },
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(
      expect.objectContaining({
        response: expect.objectContaining({ uid: 'u-9', allowed: true, patchType: 'JSONPatch' }),
      }),
    );
    // Defaults from main.ts: placement in the webhook's namespace, strict.
    const patch = JSON.parse(
      Buffer.from((r.json as { response: { patch: string } }).response.patch, 'base64').toString(),
    ) as {
      value: { args?: string[] };
    }[];
    expect(patch[0]?.value.args).toEqual(
      expect.arrayContaining([
        '--placement',
        'llama-orch-placement.llama-orch.svc:9003',
        '--strict',
      ]),
    );
    expect(output).toContain('webhook listening');
    expect(output).not.toContain('caBundle');
  });

  it('ORCH-3113: a bad setting stops the start with its name', async () => {
    const bad = spawn(process.execPath, ['deploy/dist/webhook.mjs'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', SIDECAR_IMAGE: 'x', WEBHOOK_PORT: 'abc' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    bad.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((r) => bad.once('exit', r));
    expect(code).not.toBe(0);
    expect(err).toContain('WEBHOOK_PORT must be a TCP port');
  }, 60_000);
});
