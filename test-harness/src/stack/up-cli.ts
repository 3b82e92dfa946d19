// `npm run up`: the whole stack on the documented loopback ports, in the foreground, until
// Ctrl-C (ORCH-5003). Ports come from the local config; env LLAMA_ORCH_REPLICAS adds replicas,
// and LLAMA_ORCH_FREE_PORTS=1 picks free ports instead (tests, or a second stack beside the first).
// Options (after `npm run up --`):
//   --with-prometheus      a real Prometheus beside the stack (:9090, or a free port with
//                          LLAMA_ORCH_FREE_PORTS=1) scraping gateway, sidecars and Envoy, with
//                          the committed alert rules (ci/dashboards)
//   --otlp-endpoint URL    traces from Envoy, placement and sidecars to an OTLP/HTTP collector
//                          (default: $OTEL_EXPORTER_OTLP_ENDPOINT; tracing is off without either)
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfig } from '@llama-orch/contracts';
import { startPrometheus } from '../../observability/prometheus-server.js';
import type { PrometheusServer } from '../../observability/prometheus-server.js';
import { startStack } from './start-stack.js';
import type { Stack } from './start-stack.js';
import { LOCAL_CONFIG_PATH } from './stack-config.js';
import type { StackPorts } from './stack-config.js';

const t0 = performance.now();
const secs = (): string => ((performance.now() - t0) / 1000).toFixed(1);
const log = (msg: string): void => {
  process.stderr.write(`[up +${secs()}s] ${msg}\n`);
};

function documentedPorts(replicas: number): StackPorts {
  const { listen } = parseConfig(readFileSync(LOCAL_CONFIG_PATH, 'utf8'), LOCAL_CONFIG_PATH);
  const n = Array.from({ length: replicas }, (_, i) => i);
  return {
    envoy: listen.envoy_port,
    envoyAdmin: listen.envoy_admin_port,
    rest: listen.rest_port,
    extProc: listen.ext_proc_port,
    control: listen.control_port,
    sidecars: n.map((i) => (listen.sidecar_port_base ?? 8100) + i),
    engines: n.map((i) => (listen.engine_port_base ?? 8200) + i),
  };
}

const PROMETHEUS_PORT = 9090;

interface UpExtras {
  prometheus: PrometheusServer | undefined;
  otlpEndpoint: string | undefined;
}

function parseUpArgs(argv: string[]): { withPrometheus: boolean; otlpEndpoint?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      'with-prometheus': { type: 'boolean', default: false },
      'otlp-endpoint': { type: 'string' },
    },
  });
  const otlp = values['otlp-endpoint'] ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return {
    withPrometheus: values['with-prometheus'],
    otlpEndpoint: otlp === undefined || otlp === '' ? undefined : otlp,
  };
}

function extrasBanner(extras: UpExtras): string[] {
  const lines: string[] = [];
  if (extras.prometheus) {
    lines.push(
      `  prometheus ${extras.prometheus.url}/  (targets: /targets, alerts: /alerts; scrapes gateway, sidecars, Envoy)`,
    );
  }
  if (extras.otlpEndpoint) {
    lines.push(`  tracing ${extras.otlpEndpoint} (OTLP/HTTP from Envoy, placement and sidecars)`);
  }
  return lines;
}

function banner(stack: Stack, extras: UpExtras): string {
  const tc = stack.toolchain;
  const task = '7d3c1f9e-0000-4000-8000-000000000001';
  return [
    '',
    `llama-orch is up in ${secs()}s at ${stack.url}`,
    `  engine  llama-server ${tc.llamaServer.buildInfo} (${tc.llamaServer.flavour}${
      tc.llamaServer.flavour === 'cpu' ? ': the CI-only CPU carve-out' : ''
    })`,
    `  model   ${stack.model.ref} ${stack.model.digest} (prompt_format ${stack.model.promptFormat})`,
    `  admin   ${stack.adminUrl}/  (Envoy stats: /stats/prometheus)`,
    ...extrasBanner(extras),
    '  try:',
    `    curl -s ${stack.url}/v1/tasks -H 'content-type: application/json' -d '{"task_id":"${task}",`,
    `      "session_id":"5b0e2a44-0000-4000-8000-000000000001","workload":"completion",`,
    `      "model_ref":"${stack.config.pools[0]?.model_ref}","engine":"llamacpp","ctx":2048,`,
    `      "priority":"interactive","max_tokens":48,"deadline_ms":30000,"prompt":"Explain what a lighthouse does in one sentence."}'`,
    `    curl -N ${stack.url}/v1/tasks/${task}/stream`,
    '  Ctrl-C stops every process.',
    '',
  ].join('\n');
}

/**
 * Stop on the first SIGINT or SIGTERM, whoever sends it. One stop can arrive several times (the
 * terminal signals the whole foreground group, the launcher and npm forward theirs, a container
 * runtime signals every process), so repeats are ignored: a default-action repeat would kill this
 * process mid-stop and leave the detached children running. Only a second SIGINT, a user's second
 * Ctrl-C, forces: exit at once, and the supervisor's exit hook SIGKILLs every child group.
 * Before the stack is up there is nothing to stop in order: exit, with the same hook.
 */
function onStopSignal(): { stackIsUp(): Promise<NodeJS.Signals> } {
  let first: NodeJS.Signals | undefined;
  let sigints = 0;
  let up = false;
  let resolveStop: (sig: NodeJS.Signals) => void = () => undefined;
  const stop = new Promise<NodeJS.Signals>((resolve) => (resolveStop = resolve));
  const handler = (sig: NodeJS.Signals): void => {
    if (sig === 'SIGINT') sigints += 1;
    if (first === undefined) {
      first = sig;
      if (!up) {
        log(`${sig} while starting: killing every process started so far`);
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
      resolveStop(sig);
    } else if (sig === 'SIGINT' && sigints >= 2) {
      log('second Ctrl-C: killing every process now');
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    /** From now on a signal stops the stack in order; resolves with the first signal. */
    stackIsUp: () => {
      up = true;
      return stop;
    },
  };
}

async function main(): Promise<number> {
  const stopSignal = onStopSignal();
  const args = parseUpArgs(process.argv.slice(2));
  const replicas = Number(process.env.LLAMA_ORCH_REPLICAS ?? 1);
  const freePorts = process.env.LLAMA_ORCH_FREE_PORTS === '1';
  const stack = await startStack({
    replicas,
    // An instruct model behind its chat template: the stack answers instructions (ORCH-3102).
    model: 'instruct',
    ports: freePorts ? undefined : documentedPorts(replicas),
    logLevel: 'info',
    write: (s) => process.stderr.write(s),
    log,
    tracing: args.otlpEndpoint === undefined ? undefined : { otlpEndpoint: args.otlpEndpoint },
    // As production runs it: the bundles the launcher built, under plain node, and placement
    // restarted with backoff when it crashes, as Kubernetes would.
    runtime: 'node',
    restartPlacementOnCrash: true,
  });
  let prometheus: PrometheusServer | undefined;
  if (args.withPrometheus) {
    try {
      prometheus = await startPrometheus(stack, replicas, {
        port: freePorts ? undefined : PROMETHEUS_PORT,
        scrapeInterval: '5s',
        write: (s) => process.stderr.write(s),
      });
      log(`prometheus: ready at ${prometheus.url}`);
    } catch (e) {
      await stack.close();
      throw e;
    }
  }
  process.stdout.write(banner(stack, { prometheus, otlpEndpoint: args.otlpEndpoint }) + '\n');
  const sig = await stopSignal.stackIsUp();
  log(`${sig}: stopping every process`);
  await prometheus?.close();
  await stack.close();
  log('every process stopped');
  return sig === 'SIGINT' ? 130 : 143;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`cannot start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
