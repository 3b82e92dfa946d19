// ORCH-3140: API keys are HMAC-SHA256 under a server secret, never a bare sha256.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyRing, KeySecret, MIN_SECRET_BYTES } from './api-keys.js';
import { SECRET_ENV, loadKeySecret } from './key-secret-source.js';

const TEXT = 'server-secret-0123456789abcdef0123456789';

describe('ORCH-3140: API key digests are HMACs under the server secret', () => {
  it('ORCH-3140: a bare sha256 of the key, or its HMAC under another secret, authenticates nothing', () => {
    const secret = KeySecret.fromText(TEXT, 'test');
    const other = KeySecret.fromText(`${TEXT}-other`, 'test');
    const sha = createHash('sha256').update('acme-key').digest('hex');
    expect(secret.digestHex('acme-key')).not.toBe(sha);
    const ring = (hex: string): KeyRing => new KeyRing(secret, [{ id: 'acme', apiKeyHmac: [hex] }]);
    expect(ring(secret.digestHex('acme-key')).lookup('acme-key')?.tenant).toBe('acme');
    expect(ring(sha).lookup('acme-key')).toBeUndefined();
    expect(ring(other.digestHex('acme-key')).lookup('acme-key')).toBeUndefined();
    // The logged fingerprint comes from the HMAC, not from a bare hash anyone can recompute.
    const p = ring(secret.digestHex('acme-key')).lookup('acme-key');
    expect(p?.fingerprint).toBe(secret.digestHex('acme-key').slice(0, 12));
    expect(sha.startsWith(p?.fingerprint ?? '')).toBe(false);
  });

  it('ORCH-3140: the secret has at least 32 bytes; a trailing newline of its file is not part of it', () => {
    expect(() => KeySecret.fromText('short', 'x')).toThrow(/at least 32/);
    expect(KeySecret.fromText(`${TEXT}\n`, 'f').digestHex('k')).toBe(
      KeySecret.fromText(TEXT, 'f').digestHex('k'),
    );
    expect(MIN_SECRET_BYTES).toBe(32);
  });

  it('ORCH-3140: ORCH_API_KEY_SECRET overrides the file; tenant keys without any secret refuse the start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'key-secret-'));
    const file = join(dir, 'secret');
    writeFileSync(file, `${TEXT}\n`);
    const fromFile = loadKeySecret({ file, env: {}, needed: true });
    expect(fromFile.digestHex('k')).toBe(KeySecret.fromText(TEXT, 't').digestHex('k'));
    const fromEnv = loadKeySecret({ file, env: { [SECRET_ENV]: `${TEXT}-env` }, needed: true });
    expect(fromEnv.digestHex('k')).toBe(KeySecret.fromText(`${TEXT}-env`, 't').digestHex('k'));
    expect(() => loadKeySecret({ env: {}, needed: true })).toThrow(/api_key_secret_file/);
    expect(() => loadKeySecret({ file: join(dir, 'missing'), env: {}, needed: true })).toThrow(
      /cannot read/,
    );
    // No tenant keys: a per-process secret digests ORCH_ADMIN_TOKEN only.
    expect(loadKeySecret({ env: {}, needed: false }).digestHex('k')).toHaveLength(64);
  });
});
