import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@llama-orch/contracts';
import { gatewayOptionsFrom } from '../config.js';
import { adminAuthFrom, adminMode, isLoopbackHost, sha256Hex } from './admin-auth.js';

describe('ORCH-3035: control-plane admin credential (placeholder)', () => {
  it('ORCH-3035: loopback without a credential is open, any other bind is closed, a token makes it token-only', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.5', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
    expect(adminMode(adminAuthFrom('127.0.0.1', [], {}))).toBe('open');
    expect(adminMode(adminAuthFrom('0.0.0.0', [], {}))).toBe('closed');
    const fromEnv = adminAuthFrom('0.0.0.0', [], { ORCH_ADMIN_TOKEN: 'tok' });
    expect(adminMode(fromEnv)).toBe('token');
    expect(fromEnv.tokenSha256).toEqual([sha256Hex('tok')]);
    expect(adminMode(adminAuthFrom('127.0.0.1', [sha256Hex('k')], {}))).toBe('token');
  });

  it("ORCH-3035: operator tenants' api_key_sha256 become admin tokens; other tenants' do not", () => {
    const path = fileURLToPath(
      new URL('../../../contracts/examples/config/nvidia-2gpu.yaml', import.meta.url),
    );
    expect(gatewayOptionsFrom(loadConfig(path)).adminTokenSha256).toEqual([
      '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
    ]);
    const local = fileURLToPath(
      new URL('../../../contracts/examples/config/local-cpu.yaml', import.meta.url),
    );
    expect(gatewayOptionsFrom(loadConfig(local)).adminTokenSha256).toEqual([]);
  });
});
