// Cross-field rules JSON Schema cannot express well. Each issue names the bad field.
import { DEFAULT_PROMPT_FORMAT } from './schema.js';
import { placementIssues } from './placement.js';
import type { Config } from './types.js';

export interface ConfigIssue {
  /** Dotted path such as `pools[0].tensor_split`. */
  path: string;
  message: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(values.filter((v) => (seen.has(v) ? true : (seen.add(v), false))))];
}

export function semanticIssues(c: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ path, message });
  };

  for (const id of duplicates(c.pools.map((p) => p.id))) add('pools', `duplicate pool id "${id}"`);
  // ORCH-3130: profile names, pickers, and every pool's profile exists.
  issues.push(...placementIssues(c.placement.profiles, c.pools));
  for (const id of duplicates(c.tenants.map((t) => t.id)))
    add('tenants', `duplicate tenant id "${id}"`);
  for (const h of duplicates(c.tenants.flatMap((t) => t.api_key_hmac))) {
    add('tenants', `API key hash ${h.slice(0, 12)}… belongs to more than one tenant`);
  }

  c.pools.forEach((p, n) => {
    const at = `pools[${n}]`;
    const cpu = p.devices.includes('cpu');
    // ORCH-1101: NVIDIA only; CPU is the labelled CI carve-out and never mixes with GPUs (ORCH-3018).
    if (cpu && p.devices.length > 1) add(`${at}.devices`, 'cpu cannot be mixed with GPU devices');
    if (cpu && !p.cpu_carve_out)
      add(`${at}.cpu_carve_out`, 'must be true for a cpu pool (ORCH-1101 CI carve-out)');
    if (!cpu && p.cpu_carve_out) add(`${at}.cpu_carve_out`, 'only meaningful for devices [cpu]');
    // ORCH-3012: split across GPUs only with explicit ratios, one per device.
    if (p.tensor_split !== undefined) {
      if (cpu) add(`${at}.tensor_split`, 'not allowed on a cpu pool');
      else if (p.tensor_split.length !== p.devices.length) {
        add(
          `${at}.tensor_split`,
          `needs ${p.devices.length} ratios (one per device), got ${p.tensor_split.length}`,
        );
      }
    }
    // ORCH-3001/3011: each replica's mask stays inside the pool's devices.
    if (p.replica_devices.length !== p.replicas) {
      add(
        `${at}.replica_devices`,
        `needs ${p.replicas} entries (one per replica), got ${p.replica_devices.length}`,
      );
    }
    p.replica_devices.forEach((mask, r) => {
      for (const d of mask) {
        if (!p.devices.includes(d)) add(`${at}.replica_devices[${r}]`, `${d} is outside devices`);
      }
      if (p.tensor_split === undefined && mask.length > 1) {
        add(`${at}.replica_devices[${r}]`, 'a multi-GPU replica needs tensor_split (ORCH-3012)');
      } else if (
        p.tensor_split !== undefined &&
        mask.length > 1 &&
        mask.length !== p.tensor_split.length
      ) {
        // The sidecar gives ratio i to mask device i, so a partial mask cannot use the pool's ratios.
        add(
          `${at}.replica_devices[${r}]`,
          `${mask.length} devices but tensor_split has ${p.tensor_split.length} ratios (ORCH-3012)`,
        );
      }
    });
    // ORCH-3102: chat needs an engine endpoint that renders the model's own template.
    if (p.prompt_format === 'chat' && DEFAULT_PROMPT_FORMAT[p.engine] !== 'chat') {
      add(
        `${at}.prompt_format`,
        `${p.engine} cannot render a chat template; set prompt_format: raw and send formatted prompts`,
      );
    }
    // ORCH-3045/4016: strict determinism means one slot, no continuous batching.
    if (p.determinism === 'strict' && p.slots !== 1)
      add(`${at}.slots`, 'must be 1 when determinism is strict');
    if (!p.supervise && p.engine_endpoints?.length !== p.replicas) {
      add(`${at}.engine_endpoints`, `needs ${p.replicas} URLs when supervise is false`);
    }
    if (p.supervise && p.engine_endpoints !== undefined) {
      add(`${at}.engine_endpoints`, 'only used when supervise is false');
    }
  });

  // ORCH-3035: auth is mandatory off loopback, and needs at least one tenant.
  if (!LOOPBACK.has(c.listen.host) && !c.auth.required) {
    add('auth.required', `must be true when listen.host is ${c.listen.host} (not loopback)`);
  }
  if (c.auth.required && c.tenants.length === 0)
    add('tenants', 'auth.required needs at least one tenant');
  // ORCH-3142: off loopback, sidecars and Envoy reach placement over the network: mTLS only.
  if (!LOOPBACK.has(c.listen.host) && c.tls === undefined) {
    add('tls', `is required when listen.host is ${c.listen.host} (not loopback)`);
  }

  const l = c.listen;
  const ports: [string, number][] = [
    ['listen.envoy_port', l.envoy_port],
    ['listen.envoy_admin_port', l.envoy_admin_port],
    ['listen.rest_port', l.rest_port],
    ['listen.ext_proc_port', l.ext_proc_port],
    ['listen.control_port', l.control_port],
  ];
  const replicas = c.pools.reduce((s, p) => s + p.replicas, 0);
  ports.push(
    ['listen.sidecar_port_base', l.sidecar_port_base],
    ['listen.engine_port_base', l.engine_port_base],
  );
  for (const [name, port] of ports) {
    const clash = ports.find(([other, p]) => other !== name && p === port);
    if (clash) add(name, `port ${port} also used by ${clash[0]}`);
  }
  // Sidecar and engine port ranges must not overlap each other or the fixed ports.
  const ranges: [string, number][] = [
    ['listen.sidecar_port_base', l.sidecar_port_base],
    ['listen.engine_port_base', l.engine_port_base],
  ];
  for (const [name, base] of ranges) {
    if (base + replicas - 1 > 65535) add(name, `range of ${replicas} ports exceeds 65535`);
    for (const [other, port] of ports) {
      if (other !== name && port > base && port < base + replicas)
        add(name, `range ${base}+${replicas} covers ${other}`);
    }
  }

  if (c.control.heartbeat_timeout_ms <= c.control.heartbeat_interval_ms) {
    add('control.heartbeat_timeout_ms', 'must exceed heartbeat_interval_ms');
  }
  return issues;
}
