import { fileURLToPath } from 'node:url';
import { loadConfig } from '@llama-orch/contracts';
import { Scheduler } from '@llama-orch/core';
import { describe, expect, it } from 'vitest';
import { circuitBreakerFrom, gatewayOptionsFrom } from './config.js';

const EXAMPLE = fileURLToPath(
  new URL('../../contracts/examples/config/local-cpu.yaml', import.meta.url),
);

describe('config → gateway options', () => {
  it('ORCH-3030: the local example maps to ports, pools, queues and control timings core accepts', () => {
    const options = gatewayOptionsFrom(loadConfig(EXAMPLE));
    expect(options).toMatchObject({
      host: '127.0.0.1',
      restPort: 8081,
      extProcPort: 9002,
      controlPort: 9003,
      heartbeatTimeoutMs: 5000,
      acceptTimeoutMs: 2000,
    });
    expect(options.scheduler.pools[0]).toMatchObject({
      id: 'default',
      engine: 'llamacpp',
      modelRef: 'Qwen2.5-Coder-0.5B-Instruct-Q4_K_M',
      ctxMax: 2048,
      // ORCH-3102: the local instruct pool renders prompts with the model's chat template.
      promptFormat: 'chat',
      queues: { interactive: { capacity: 64, fullPolicy: 'reject', maxWaitMs: 30000 } },
    });
    // ORCH-4023: the attach timeout is the config's, not a constant of core.
    expect(options.scheduler.attachTimeoutMs).toBe(30000);
    // ORCH-3040: the breaker settings reach the gateway options (the director's defaults otherwise).
    expect(options.circuitBreaker).toEqual({ consecutiveFailures: 5, cooldownMs: 30000 });
    expect(() => new Scheduler({ config: options.scheduler, clock: () => 0 })).not.toThrow();
  });

  it('ORCH-3040: control.circuit_breaker maps to the director breaker settings (defaults 5 / 30 s)', () => {
    const config = loadConfig(EXAMPLE);
    expect(circuitBreakerFrom(config)).toEqual({ consecutiveFailures: 5, cooldownMs: 30000 });
    config.control.circuit_breaker = { consecutive_failures: 2, cooldown_ms: 500 };
    expect(circuitBreakerFrom(config)).toEqual({ consecutiveFailures: 2, cooldownMs: 500 });
  });
});
