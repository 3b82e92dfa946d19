// A Prometheus config that scrapes the whole stack: the gateway through Envoy (its only public
// path), each sidecar's own /metrics, and Envoy's admin stats.

export interface ScrapeTargets {
  /** Envoy's public listener, host:port. */
  envoy: string;
  envoyAdmin: string;
  sidecars: string[];
  /** Rule files, relative to the config file. */
  ruleFiles: string[];
  scrapeInterval: string;
}

/** Documented default ports of `npm run up` (ARCHITECTURE.md). */
export const DEFAULT_TARGETS: ScrapeTargets = {
  envoy: '127.0.0.1:8080',
  envoyAdmin: '127.0.0.1:9901',
  sidecars: ['127.0.0.1:8100'],
  ruleFiles: ['alerts.yml'],
  scrapeInterval: '15s',
};

export function prometheusConfig(t: ScrapeTargets): object {
  return {
    global: { scrape_interval: t.scrapeInterval, evaluation_interval: t.scrapeInterval },
    rule_files: t.ruleFiles,
    scrape_configs: [
      {
        job_name: 'llama-orch-gateway',
        metrics_path: '/metrics',
        static_configs: [{ targets: [t.envoy] }],
      },
      {
        job_name: 'llama-orch-sidecar',
        metrics_path: '/metrics',
        static_configs: [{ targets: t.sidecars }],
      },
      {
        job_name: 'envoy',
        metrics_path: '/stats/prometheus',
        static_configs: [{ targets: [t.envoyAdmin] }],
      },
    ],
  };
}
