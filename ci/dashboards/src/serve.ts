// `npx tsx ci/dashboards/src/serve.ts [--port 9090]`: a real Prometheus beside `npm run up`,
// scraping the documented default ports with the committed config and alert rules. Ctrl-C stops
// it and removes its scratch TSDB.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEPS, cacheRoot } from '@llama-orch/tools';
import { fileOf } from './generate.js';

async function prometheusBin(): Promise<string> {
  const step = STEPS.find((s) => s.id === 'prometheus');
  const progress = { info: () => undefined, warn: () => undefined, elapsed: () => 0 };
  const found = await step?.locate({ root: cacheRoot(), env: process.env, progress });
  if (!found) throw new Error('prometheus is not bootstrapped: run `npm run bootstrap`');
  return join(found.dir, 'bin/prometheus');
}

async function main(): Promise<number> {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 9090;
  const data = mkdtempSync(join(tmpdir(), 'llama-orch-prometheus-'));
  const child = spawn(
    await prometheusBin(),
    [
      `--config.file=${fileOf('prometheus/prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'inherit' },
  );
  process.stderr.write(`prometheus: http://127.0.0.1:${port}/ (alerts: /alerts)\n`);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => child.kill('SIGTERM'));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  rmSync(data, { recursive: true, force: true });
  return code;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
