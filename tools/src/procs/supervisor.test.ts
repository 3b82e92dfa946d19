import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from './supervisor.js';

const node = process.execPath;
let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.stopAll();
});

describe('ORCH-5003: supervisor stops every child', () => {
  it('ORCH-5003: prefixes child output and records its tail', async () => {
    let out = '';
    sup = new Supervisor({ write: (s) => (out += s) });
    const c = sup.start({
      name: 'echo',
      cmd: node,
      args: ['-e', 'console.log("a\\nb"); console.error("c")'],
    });
    const exit = await c.exited;
    expect(exit.code).toBe(0);
    expect(out).toContain('[echo] a\n');
    expect(out).toContain('[echo] b\n');
    expect(out).toContain('[echo] c\n');
    expect(c.tail()).toEqual(expect.arrayContaining(['a', 'b', 'c']));
    expect(c.isRunning()).toBe(false);
  });

  it('ORCH-5003: SIGTERM first, SIGKILL after the grace period for a child that ignores SIGTERM', async () => {
    sup = new Supervisor({ graceMs: 300, write: () => undefined });
    const stubborn = sup.start({
      name: 'stubborn',
      cmd: node,
      args: [
        '-e',
        'process.on("SIGTERM", () => console.log("ignored")); console.log("up"); setInterval(() => {}, 1000)',
      ],
    });
    const polite = sup.start({
      name: 'polite',
      cmd: node,
      args: ['-e', 'setInterval(() => {}, 1000)'],
    });
    // Let both install their handlers before signalling.
    for (let i = 0; i < 100 && !stubborn.tail().includes('up'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = Date.now();
    await sup.stopAll();
    expect((await polite.exited).signal).toBe('SIGTERM');
    expect((await stubborn.exited).signal).toBe('SIGKILL');
    expect(stubborn.tail()).toContain('ignored');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(sup.isStopping()).toBe(true);
    // Idempotent: a second stopAll resolves without signalling again.
    await sup.stopAll();
  });
});
