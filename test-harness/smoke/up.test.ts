// Smoke: `npm run up` as the launcher runs it — the bundles built once (tools/build-runtime.mjs),
// then plain `node test-harness/dist/up.mjs` — brings the whole stack up on loopback: placement,
// a supervised sidecar with llama-server and the real model, Envoy; serves a task through the
// edge; restarts placement after a kill -9, as Kubernetes would, and serves again; and a SIGTERM
// delivered twice (as when several senders signal it) stops every process it started (ORCH-5003).
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSseTranscript } from '@llama-orch/contracts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function streamOne(url: string, modelRef: string, taskId: string): Promise<string[]> {
  const admit = await fetch(`${url}/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      task_id: taskId,
      session_id: '0f5b3a10-2222-4222-8222-000000000001',
      workload: 'completion',
      model_ref: modelRef,
      engine: 'llamacpp',
      ctx: 2048,
      priority: 'interactive',
      max_tokens: 8,
      deadline_ms: 60_000,
      seed: 7,
      prompt: 'Name one colour of the sky.',
    }),
  });
  expect(admit.status).toBe(202);
  expect(admit.headers.get('server')).toBe('envoy');
  const stream = await fetch(`${url}/v1/tasks/${taskId}/stream`, {
    signal: AbortSignal.timeout(90_000),
  });
  expect(stream.status).toBe(200);
  return parseSseTranscript(await stream.text()).map((e) => e.event);
}

/** Polls `read()` until it matches, the process exits, or the deadline passes. */
async function waitFor(read: () => string, re: RegExp, proc: ChildProcess, ms: number) {
  const deadline = Date.now() + ms;
  while (!re.test(read()) && Date.now() < deadline && proc.exitCode === null) {
    await new Promise((r) => setTimeout(r, 200));
  }
  return re.exec(read());
}

describe('ORCH-5003: npm run up starts the stack on loopback; a signal stops every child', () => {
  let up: ChildProcess | undefined;
  const childPids: number[] = [];

  afterAll(() => {
    // Only reached with survivors when an assertion failed: never leave engines running.
    if (up?.exitCode === null) up.kill('SIGKILL');
    for (const pid of childPids) if (alive(pid)) process.kill(-pid, 'SIGKILL');
  });

  it('ORCH-5003: ready banner, a task streamed through Envoy, placement restarted after kill -9, then SIGTERM twice exits 143 with no survivors', async () => {
    // What the launcher's build phase does; startStack refuses missing or stale bundles.
    execFileSync(process.execPath, ['tools/build-runtime.mjs'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    const proc = spawn(process.execPath, ['test-harness/dist/up.mjs'], {
      cwd: ROOT,
      env: { ...process.env, LLAMA_ORCH_FREE_PORTS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up = proc;
    let out = '';
    let err = '';
    proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      for (const m of c.toString().matchAll(/: pid (\d+)/g)) childPids.push(Number(m[1]));
    });
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));

    const deadline = Date.now() + 200_000;
    while (!out.includes('is up') && Date.now() < deadline && proc.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const url = /is up in [\d.]+s at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(url, `up did not get ready:\n${err.slice(-4000)}`).toBeDefined();
    expect(out).toContain('CI-only CPU carve-out');
    // ORCH-3102: `npm run up` serves the instruct model through its chat template.
    const served = /model\s+(\S+) sha256:[0-9a-f]{64} \(prompt_format (\w+)\)/.exec(out);
    expect(served?.[2], out).toBe('chat');
    const modelRef = served?.[1] ?? '';
    expect(modelRef).toMatch(/Instruct/);
    // placement, one sidecar, Envoy.
    expect(childPids).toHaveLength(3);

    // Plain node runs every service: no tsx compile at start, as in the images.
    const placementPid = Number(/placement: pid (\d+)/.exec(err)?.[1]);
    for (const [pid, what] of [
      [placementPid, 'gateway/dist/main.mjs'],
      [proc.pid ?? 0, 'test-harness/dist/up.mjs'],
    ] as const) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv, `pid ${pid}`).toContain(what);
      expect(argv, `pid ${pid}`).not.toContain('tsx');
    }

    const first = await streamOne(url as string, modelRef, '0f5b3a10-1111-4111-8111-000000000001');
    expect(first[0]).toBe('started');
    expect(first.filter((e) => e === 'token').length).toBeGreaterThan(0);
    expect(first.at(-1)).toBe('end');

    // A crashed placement comes back, with backoff, and the launcher says so.
    process.kill(placementPid, 'SIGKILL');
    const crashed = await waitFor(
      () => err,
      /placement: crashed \(pid (\d+), signal SIGKILL\); restarting in 1s/,
      proc,
      30_000,
    );
    expect(crashed?.[1], err.slice(-2000)).toBe(String(placementPid));
    const restarted = await waitFor(() => err, /placement: restarted \(pid (\d+)\)/, proc, 60_000);
    expect(restarted, err.slice(-2000)).not.toBeNull();
    expect(alive(Number(restarted?.[1]))).toBe(true);
    // The sidecar re-registers with the new placement; the edge serves again.
    let second: string[] = [];
    const until = Date.now() + 60_000;
    for (let n = 2; second.at(-1) !== 'end' && Date.now() < until; n++) {
      second = await streamOne(
        url as string,
        modelRef,
        `0f5b3a10-1111-4111-8111-${String(n).padStart(12, '0')}`,
      ).catch(() => []);
      if (second.at(-1) !== 'end') await new Promise((r) => setTimeout(r, 1000));
    }
    expect(second.at(-1), err.slice(-2000)).toBe('end');

    // The same stop delivered again while up is stopping (npm, the launcher and a container
    // runtime each send theirs) must not kill it mid-stop: its children are detached.
    proc.kill('SIGTERM');
    expect(
      await waitFor(() => err, /SIGTERM: stopping every process/, proc, 10_000),
    ).not.toBeNull();
    proc.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000)),
    ]);
    expect(code).toBe(143);
    expect(err).toContain('every process stopped');
    for (const pid of childPids) expect(alive(pid), `pid ${pid} survived`).toBe(false);
  }, 300_000);
});
