// `npm run up -- --with-prometheus` (issue 9): up-cli, exactly as `npm run up` runs it after the
// bootstrap and the runtime build (plain node on the bundles), brings a real Prometheus up beside
// the stack; its URL is in the banner, it scrapes the gateway (through Envoy), the sidecar and
// Envoy's admin stats with every target up and loads the committed alert rules; Ctrl-C stops it
// with the stack (ORCH-5003).
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ALERTS } from '../../ci/dashboards/src/alerts.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

async function targets(promUrl: string): Promise<Target[]> {
  const res = await fetch(`${promUrl}/api/v1/targets?state=active`, {
    signal: AbortSignal.timeout(5_000),
  });
  return ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
}

describe('ORCH-3041: npm run up -- --with-prometheus', () => {
  let up: ChildProcess | undefined;

  afterAll(() => {
    // Only reached with a live process when an assertion failed.
    if (up?.exitCode === null) up.kill('SIGKILL');
  });

  it('ORCH-5003: Prometheus starts beside the stack, every target is up, Ctrl-C stops it', async () => {
    // The launcher's build phase; up refuses missing or stale bundles.
    execFileSync(process.execPath, ['tools/build-runtime.mjs'], { cwd: ROOT, stdio: 'ignore' });
    const proc = spawn(process.execPath, ['test-harness/dist/up.mjs', '--with-prometheus'], {
      cwd: ROOT,
      env: { ...process.env, LLAMA_ORCH_FREE_PORTS: '1', OTEL_EXPORTER_OTLP_ENDPOINT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up = proc;
    let out = '';
    let err = '';
    proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));

    const deadline = Date.now() + 200_000;
    while (!out.includes('is up') && Date.now() < deadline && proc.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const promUrl = /prometheus (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    expect(promUrl, `no Prometheus in the banner:\n${out}\n${err.slice(-4000)}`).toBeDefined();
    const url = promUrl as string;

    // 5 s scrapes: every target has been scraped once within ~10 s of start.
    let seen: Target[] = [];
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      seen = await targets(url);
      if (seen.length === 3 && seen.every((t) => t.health === 'up')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(seen.map((t) => `${t.labels.job} ${t.health} ${t.lastError}`).sort()).toEqual([
      'envoy up ',
      'llama-orch-gateway up ',
      'llama-orch-sidecar up ',
    ]);
    // The gateway's own series arrive (through Envoy's /metrics route).
    const q = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('count(up == 1)')}`);
    const body = (await q.json()) as { data: { result: { value: [number, string] }[] } };
    expect(body.data.result[0]?.value[1]).toBe('3');
    const rules = await fetch(`${url}/api/v1/rules`);
    const groups = ((await rules.json()) as { data: { groups: { rules: unknown[] }[] } }).data
      .groups;
    expect(groups.flatMap((g) => g.rules)).toHaveLength(ALERTS.length);

    proc.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000)),
    ]);
    expect(code).toBe(130);
    await expect(fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 300_000);
});
