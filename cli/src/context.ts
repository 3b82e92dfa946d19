// What a command runs with: resolved config, a client for it, and the terminal.
import { OrchClient, commandTraceparent } from './client.js';
import { loadConfig } from './config.js';
import type { OrchctlConfig } from './config.js';
import type { CliIo } from './io.js';

export interface Ctx {
  readonly io: CliIo;
  readonly config: OrchctlConfig;
  readonly client: OrchClient;
  readonly json: boolean;
}

export async function makeCtx(
  io: CliIo,
  flags: { url?: string; 'api-key'?: string; config?: string; json?: boolean },
): Promise<Ctx> {
  const config = await loadConfig({ flags, env: io.env, home: io.home, readFile: io.readFile });
  return {
    io,
    config,
    client: new OrchClient({
      url: config.url,
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      traceparent: commandTraceparent(io.env.TRACEPARENT),
    }),
    json: flags.json === true,
  };
}

export function printJson(ctx: Ctx, value: unknown): void {
  ctx.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
