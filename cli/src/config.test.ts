import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_URL, loadConfig } from './config.js';

const HOME = '/home/u';
const FILE = `${HOME}/.config/llama-orch/orchctl.yaml`;

function input(files: Record<string, string>, flags = {}, env: Record<string, string> = {}) {
  return {
    flags,
    env,
    home: HOME,
    readFile: async (p: string) => {
      const text = files[p];
      if (text === undefined) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
      return text;
    },
  };
}

describe('ORCH-5004: orchctl configuration precedence', () => {
  it('defaults without any file', async () => {
    const c = await loadConfig(input({}));
    expect(c).toMatchObject({ url: DEFAULT_URL, engine: 'llamacpp', priority: 'interactive' });
  });

  it('every file setting lands in its field', async () => {
    const file = [
      'url: http://file:1',
      'api_key: k',
      'model: m',
      'engine: vllm',
      'priority: batch',
      'max_tokens: 9',
      'ctx: 512',
      'deadline_ms: 700',
    ].join('\n');
    expect(await loadConfig(input({ [FILE]: file }))).toEqual({
      url: 'http://file:1',
      apiKey: 'k',
      model: 'm',
      engine: 'vllm',
      priority: 'batch',
      maxTokens: 9,
      ctx: 512,
      deadlineMs: 700,
    });
  });

  it('flags > env > file > defaults', async () => {
    const file = 'url: http://file:1\napi_key: from-file\nmodel: m-file\nmax_tokens: 9\n';
    expect(await loadConfig(input({ [FILE]: file }))).toMatchObject({
      url: 'http://file:1',
      apiKey: 'from-file',
      model: 'm-file',
      maxTokens: 9,
    });
    const env = { ORCH_URL: 'http://env:2', ORCH_API_KEY: 'from-env', ORCH_MODEL: 'm-env' };
    expect(await loadConfig(input({ [FILE]: file }, {}, env))).toMatchObject({
      url: 'http://env:2',
      apiKey: 'from-env',
      model: 'm-env',
    });
    const flags = { url: 'http://flag:3', 'api-key': 'from-flag' };
    expect(await loadConfig(input({ [FILE]: file }, flags, env))).toMatchObject({
      url: 'http://flag:3',
      apiKey: 'from-flag',
    });
  });

  it('--config names a file that must exist', async () => {
    await expect(loadConfig(input({}, { config: '/nope.yaml' }))).rejects.toBeInstanceOf(
      ConfigError,
    );
    const c = await loadConfig(input({ '/x.yaml': 'priority: batch\n' }, { config: '/x.yaml' }));
    expect(c.priority).toBe('batch');
  });

  it.each([
    ['unknown key', 'colour: blue\n', /unknown setting "colour"/],
    ['bad engine', 'engine: ollama\n', /engine must be one of/],
    ['bad count', 'max_tokens: 0\n', /max_tokens must be an integer >= 1/],
    ['not a mapping', '- a\n- b\n', /expected a mapping/],
    ['bad url', 'url: ftp://x\n', /url must be http/],
  ])('rejects %s', async (_n, text, message) => {
    await expect(loadConfig(input({ [FILE]: text }))).rejects.toThrow(message);
  });
});
