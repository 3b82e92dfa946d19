// Smoke: `npm run up` (test-harness/src/stack/up-cli.ts) brings the whole stack up on loopback —
// placement, a supervised sidecar with llama-server and the real model, Envoy — serves a task
// through the edge, and Ctrl-C stops every process it started (ORCH-5003).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
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

describe('ORCH-5003: npm run up starts the stack on loopback; Ctrl-C stops every child', () => {
  let up: ChildProcess | undefined;
  const childPids: number[] = [];

  afterAll(() => {
    // Only reached with survivors when an assertion failed: never leave engines running.
    if (up?.exitCode === null) up.kill('SIGKILL');
    for (const pid of childPids) if (alive(pid)) process.kill(-pid, 'SIGKILL');
  });

  it('ORCH-5003: ready banner, a task streamed through Envoy, then SIGINT exits 130 with no survivors', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'test-harness/src/stack/up-cli.ts'], {
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

    const taskId = '0f5b3a10-1111-4111-8111-000000000001';
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
    const events = parseSseTranscript(await stream.text());
    expect(events[0]?.event).toBe('started');
    expect(events.filter((e) => e.event === 'token').length).toBeGreaterThan(0);
    expect(events.at(-1)?.event).toBe('end');

    proc.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000)),
    ]);
    expect(code).toBe(130);
    for (const pid of childPids) expect(alive(pid), `pid ${pid} survived`).toBe(false);
  }, 300_000);
});
