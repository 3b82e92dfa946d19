import { afterEach, describe, expect, it } from 'vitest';
import { EngineProcess } from './process.js';
import { EngineRestarter } from './restarter.js';

const procs: EngineProcess[] = [];
const crashing = (ms: number): EngineProcess => {
  const p = new EngineProcess(process.execPath, ['-e', `setTimeout(() => process.exit(3), ${ms})`]);
  procs.push(p);
  return p;
};

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop(500);
});

describe('ORCH-3038/3053: engine restarter', () => {
  it('ORCH-3038: restarts a crashed engine after backoff and reports it up', async () => {
    const events: string[] = [];
    let up: () => void = () => undefined;
    const upSeen = new Promise<void>((r) => (up = r));
    const r = new EngineRestarter(
      () => Promise.resolve(crashing(60_000)),
      {
        onDown: (x) => events.push(`down:${String(x.code)}`),
        onUp: (_p, problem) => {
          events.push(`up:${problem ?? 'ok'}`);
          up();
        },
        onGiveUp: (why) => events.push(`giveup:${why}`),
        verify: () => Promise.resolve(undefined),
        log: () => undefined,
      },
      { initialBackoffMs: 20, maxBackoffMs: 100, maxRestarts: 3, windowMs: 60_000 },
    );
    r.watch(crashing(10));
    await upSeen;
    r.stop();
    expect(events).toEqual(['down:3', 'up:ok']);
    expect(r.restartCount).toBe(1);
  });

  it('ORCH-3053: a crash loop stops after the restart budget', async () => {
    const events: string[] = [];
    let giveUp: () => void = () => undefined;
    const gaveUp = new Promise<void>((r) => (giveUp = r));
    const r = new EngineRestarter(
      () => Promise.resolve(crashing(10)),
      {
        onDown: () => events.push('down'),
        onUp: () => events.push('up'),
        onGiveUp: () => {
          events.push('giveup');
          giveUp();
        },
        verify: () => Promise.resolve(undefined),
        log: () => undefined,
      },
      { initialBackoffMs: 10, maxBackoffMs: 40, maxRestarts: 3, windowMs: 60_000 },
    );
    r.watch(crashing(10));
    await gaveUp;
    r.stop();
    expect(events.filter((e) => e === 'up')).toHaveLength(3);
    expect(events.at(-1)).toBe('giveup');
  }, 15_000);
});
