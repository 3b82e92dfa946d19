// ORCH-3140: where the API-key HMAC secret comes from. ORCH_API_KEY_SECRET (the secret itself, for
// environments that inject secrets as variables) overrides config auth.api_key_secret_file (a
// mounted Secret file). A tenant with keys and no secret refuses the start: without the secret no
// key could ever match, and a silent "every key is unknown" would look like a client bug.
import { readFileSync } from 'node:fs';
import { KeySecret } from './api-keys.js';

export const SECRET_ENV = 'ORCH_API_KEY_SECRET';

export function loadKeySecret(options: {
  readonly file?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Whether any tenant lists key digests (then a secret is mandatory). */
  readonly needed: boolean;
}): KeySecret {
  const fromEnv = options.env[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return KeySecret.fromText(fromEnv, SECRET_ENV);
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new Error(
        `cannot read auth.api_key_secret_file ${options.file}: ${(error as Error).message}`,
      );
    }
    return KeySecret.fromText(text, options.file);
  }
  if (options.needed) {
    throw new Error(
      `tenants list api_key_hmac but no API key secret is configured: set auth.api_key_secret_file or ${SECRET_ENV} (ORCH-3140)`,
    );
  }
  // No tenant keys: only ORCH_ADMIN_TOKEN (if any) is digested, under a secret of this process.
  return KeySecret.ephemeral();
}
