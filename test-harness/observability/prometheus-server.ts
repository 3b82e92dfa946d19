// A real Prometheus (Debian package, bootstrapped) on a loopback port, scraping a running stack
// (gateway via Envoy, every sidecar, Envoy's admin stats) with the committed alert rules; plus a
// typed client for its HTTP API. Used by the render check and by `npm run up -- --with-prometheus`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Supervisor, freePorts, waitForHttp } from '@llama-orch/tools';
import { fileOf } from '../../ci/dashboards/src/generate.js';
import { prometheusConfig } from '../../ci/dashboards/src/prometheus-config.js';
import { loadPromBins } from './promtool.js';

interface QueryResult {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: unknown }[] };
}

interface RuleHealth {
  name: string;
  health: string;
  lastError?: string;
}

interface TargetHealth {
  job: string;
  instance: string;
  health: string;
  lastError: string;
}

export interface PrometheusServer {
  readonly url: string;
  query(expr: string): Promise<QueryResult>;
  rules(): Promise<RuleHealth[]>;
  targets(): Promise<TargetHealth[]>;
  close(): Promise<void>;
}

/** What Prometheus needs to know of a stack (a `Stack` from test-harness/src/stack fits). */
interface ScrapedStack {
  readonly url: string;
  readonly adminUrl: string;
  sidecarUrl(index: number): string;
}

interface PrometheusOptions {
  /** Listen port; default a free one. */
  readonly port?: number;
  /** Scrape and rule evaluation interval (default 1s, for tests). */
  readonly scrapeInterval?: string;
  /** Where Prometheus's own log lines go (default: kept in its tail only). */
  readonly write?: (s: string) => void;
  readonly logLevel?: string;
}

const hostPort = (url: string): string => new URL(url).host;

export async function startPrometheus(
  stack: ScrapedStack,
  replicas = 1,
  opts: PrometheusOptions = {},
): Promise<PrometheusServer> {
  const bins = await loadPromBins();
  const port = opts.port ?? (await freePorts(1))[0];
  const dir = await mkdtemp(join(tmpdir(), 'obs-prometheus-'));
  const config = prometheusConfig({
    envoy: hostPort(stack.url),
    envoyAdmin: hostPort(stack.adminUrl),
    sidecars: Array.from({ length: replicas }, (_, i) => hostPort(stack.sidecarUrl(i))),
    ruleFiles: [fileOf('prometheus/alerts.yml')],
    scrapeInterval: opts.scrapeInterval ?? '1s',
  });
  await writeFile(join(dir, 'prometheus.yml'), stringify(config));
  const sup = new Supervisor({ write: opts.write ?? (() => undefined) });
  const child = sup.start({
    name: 'prometheus',
    cmd: bins.prometheus,
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--log.level=${opts.logLevel ?? 'warn'}`,
    ],
  });
  const url = `http://127.0.0.1:${port}`;
  const close = async (): Promise<void> => {
    await sup.stopAll();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${url}/-/ready`, {
      timeoutMs: 30_000,
      abortOn: child.exited.then(() => `prometheus exited: ${child.tail().join('\n')}`),
    });
  } catch (e) {
    await close();
    throw e;
  }
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(15_000) });
    return (await res.json()) as T;
  };
  return {
    url,
    query: (expr) => get<QueryResult>(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    rules: async () => {
      const body = await get<{ data: { groups: { rules: RuleHealth[] }[] } }>('/api/v1/rules');
      return body.data.groups.flatMap((g) => g.rules);
    },
    targets: async () => {
      const body = await get<{
        data: {
          activeTargets: {
            labels: Record<string, string>;
            health: string;
            lastError: string;
          }[];
        };
      }>('/api/v1/targets?state=active');
      return body.data.activeTargets.map((t) => ({
        job: t.labels.job ?? '',
        instance: t.labels.instance ?? '',
        health: t.health,
        lastError: t.lastError,
      }));
    },
    close,
  };
}
