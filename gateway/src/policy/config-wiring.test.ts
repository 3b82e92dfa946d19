// ORCH-3130/3133: placement profiles travel from the config file to core: every plugin type the
// contract lists is registered (core's built-ins plus the gateway's wasm-policy), and the example
// config's profiles, including a WASI policy, build a working scheduler.
import { beforeAll, describe, expect, it } from 'vitest';
import { PLACEMENT_PLUGIN_TYPES, loadConfig } from '@llama-orch/contracts';
import { BUILTIN_PLUGINS, Scheduler } from '@llama-orch/core';
import { compilePolicy, policyWasmPath } from '@llama-orch/tools';
import { schedulerConfigFrom } from '../config.js';
import { wasmPolicyPlugin } from './plugin.js';

const EXAMPLE = new URL('../../../contracts/examples/config/prefix-routing.yaml', import.meta.url)
  .pathname;

beforeAll(async () => {
  await compilePolicy('sample');
}, 300_000);

describe('ORCH-3130: placement profiles from the config file', () => {
  it('ORCH-3130: the contract lists exactly the registered plugin types', () => {
    expect([...PLACEMENT_PLUGIN_TYPES].sort()).toEqual(
      [...Object.keys(BUILTIN_PLUGINS), 'wasm-policy'].sort(),
    );
  });

  it('ORCH-3130/ORCH-3133: the example config maps to core and builds, the WASI policy included', () => {
    const config = loadConfig(EXAMPLE);
    const wasm = config.placement.profiles.find((p) => p.name === 'policy')?.plugins[0];
    if (!wasm?.params) throw new Error('example lost its wasm-policy plugin');
    wasm.params['path'] = policyWasmPath('sample');
    const scheduler = schedulerConfigFrom(config);
    expect(scheduler.pools.map((p) => [p.id, p.placementProfile])).toEqual([
      ['chat', 'prefix-chat'],
      ['batch', 'policy'],
    ]);
    expect(scheduler.placement?.profiles?.map((p) => p.name)).toEqual(['prefix-chat', 'policy']);
    const disabled: string[] = [];
    expect(
      () =>
        new Scheduler({
          config: scheduler,
          clock: () => 0,
          plugins: {
            'wasm-policy': wasmPolicyPlugin({
              baseDir: '/',
              onDisabled: (policy) => disabled.push(policy),
            }),
          },
        }),
    ).not.toThrow();
    // A policy path that does not exist stops the start with the plugin's error.
    wasm.params['path'] = 'no/such/policy.wasm';
    expect(
      () =>
        new Scheduler({
          config: schedulerConfigFrom(config),
          clock: () => 0,
          plugins: { 'wasm-policy': wasmPolicyPlugin({ baseDir: '/', onDisabled: () => {} }) },
        }),
    ).toThrow(/wasm-policy: cannot read/);
  });
});
