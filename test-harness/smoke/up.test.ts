// Smoke: `npm run up`'s stack (tools/src/up/cli.ts) reaches ready on loopback, serves through
// Envoy, and Ctrl-C stops every child (ORCH-5003).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '@llama-orch/tools';

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
    for (const pid of childPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('ORCH-5003: ready banner, a chat completion through Envoy, then SIGINT exits 130 with no survivors', async () => {
    const [envoy, admin, engine] = await freePorts(3);
    const env = {
      ...process.env,
      LLAMA_ORCH_ENVOY_PORT: String(envoy),
      LLAMA_ORCH_ENVOY_ADMIN_PORT: String(admin),
      LLAMA_ORCH_ENGINE_PORT: String(engine),
    };
    const proc = spawn(process.execPath, ['--import', 'tsx', 'tools/src/up/cli.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up = proc;
    let out = '';
    let err = '';
    proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      for (const m of c.toString().matchAll(/started pid (\d+)/g)) childPids.push(Number(m[1]));
    });
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));

    const deadline = Date.now() + 150_000;
    while (!out.includes('is up') && Date.now() < deadline && proc.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(out, `up did not get ready:\n${err}`).toContain(`http://127.0.0.1:${envoy}`);
    expect(childPids).toHaveLength(2);

    const res = await fetch(`http://127.0.0.1:${envoy}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [{ role: 'user', content: 'Say hello.' }],
        max_tokens: 8,
        seed: 1,
        temperature: 0,
      }),
      signal: AbortSignal.timeout(60_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('server')).toBe('envoy');
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content.length ?? 0).toBeGreaterThan(0);

    proc.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000)),
    ]);
    expect(code).toBe(130);
    for (const pid of childPids) expect(alive(pid), `pid ${pid} survived`).toBe(false);
  }, 240_000);
});
