import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EngineProcess } from './process.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ORCH-3038: engine process lifecycle', () => {
  it('ORCH-3038: stop() ends the child and reports its exit', async () => {
    const p = new EngineProcess(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    expect(p.running).toBe(true);
    const exit = await p.stop(1000);
    expect(p.running).toBe(false);
    expect(exit.signal).toBe('SIGTERM');
  });

  it('ORCH-3038: the engine does not outlive a sidecar that crashes', async () => {
    const mod = fileURLToPath(new URL('./process.ts', import.meta.url));
    const script = [
      `const { EngineProcess } = await import(${JSON.stringify(mod)});`,
      `const p = new EngineProcess(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);`,
      'console.log(p.pid);',
      "setTimeout(() => { throw new Error('sidecar crash'); }, 200);",
    ].join('\n');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((r) => child.once('exit', r));
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    const deadline = Date.now() + 2000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  }, 20_000);
});
