// orchctl: command table, help text and the one place failures become exit codes.
import { parseFlags } from './args.js';
import type { Values, COMMON_OPTIONS } from './args.js';
import { cancel, run, stream, submit } from './commands/tasks.js';
import { caps, pools, session } from './commands/admin.js';
import { makeCtx } from './context.js';
import type { Ctx } from './context.js';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { UsageError, renderError } from './render-error.js';
import { TASK_OPTIONS } from './task-request.js';

const TASK_FLAGS = `  PROMPT | -f FILE        the prompt (argument words, or a file)
  -m, --model REF          model_ref (default: config/ORCH_MODEL, else the one model served)
  -p, --priority P         interactive | batch (default interactive)
  -n, --max-tokens N       default 64
  --seed N                 fixed seed (default: the server derives one from the task id)
  --session ID             session id (default: a new one)
  --deadline MS            deadline in ms, 0 = none
  --ctx N                  context the task needs (default 2048)
  --task-id ID             client-chosen task id (default: a new UUID)`;

export const USAGE = `orchctl — command line for llama-orch

usage: orchctl <command> [flags]

commands:
  submit PROMPT|-f FILE    admit a task; prints its id
  stream TASK_ID           print tokens as they arrive (Ctrl-C detaches)
  run PROMPT|-f FILE       submit + stream; Ctrl-C cancels the task and exits 130
  cancel TASK_ID           cancel a task (idempotent)
  session get|delete ID    show or end a session
  pools health|drain|undrain|reload|promote|rollback POOL_ID
                           pool state and control (drain --deadline MS, reload --model REF
                           [--canary-share 0.1]; promote or rollback a reload holding a canary)
  caps                     engines, versions, limits the fleet offers

task flags (submit, run):
${TASK_FLAGS}

common flags:
  --url URL                edge URL (env ORCH_URL, default http://127.0.0.1:8080)
  --api-key KEY            API key (env ORCH_API_KEY)
  --config FILE            settings file (default ~/.config/llama-orch/orchctl.yaml)
  --json                   machine output (stream/run: one event per line)
  -h, --help               this help

exit codes: 0 ok · 1 failure · 2 usage · 3 config · 4 rejected (400/401/403) · 5 not found ·
  6 backpressure (429) · 7 unavailable (503) · 8 server/stream error · 9 unreachable ·
  10 canceled · 130 interrupted
`;

interface Command {
  readonly options: Parameters<typeof parseFlags>[1];
  exec(ctx: Ctx, values: Values, positionals: string[]): Promise<ExitCode>;
}

const str = (v: Values) =>
  Object.fromEntries(
    Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );

const COMMANDS: Record<string, Command> = {
  submit: { options: TASK_OPTIONS, exec: (c, v, p) => submit(c, str(v), p) },
  stream: { options: {}, exec: (c, _v, p) => stream(c, p) },
  run: { options: TASK_OPTIONS, exec: (c, v, p) => run(c, str(v), p) },
  cancel: { options: {}, exec: (c, _v, p) => cancel(c, p) },
  session: { options: {}, exec: (c, _v, p) => session(c, p) },
  pools: {
    options: {
      deadline: { type: 'string' },
      model: { type: 'string', short: 'm' },
      'canary-share': { type: 'string' },
    },
    exec: (c, v, p) => pools(c, str(v), p),
  },
  caps: { options: {}, exec: (c) => caps(c) },
};

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  try {
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const { values, positionals } = parseFlags([...rest], command.options);
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT.OK;
    }
    const common = values as { [K in keyof typeof COMMON_OPTIONS]?: string | boolean };
    const ctx = await makeCtx(io, {
      ...(typeof common.url === 'string' ? { url: common.url } : {}),
      ...(typeof common['api-key'] === 'string' ? { 'api-key': common['api-key'] } : {}),
      ...(typeof common.config === 'string' ? { config: common.config } : {}),
      json: common.json === true,
    });
    return await command.exec(ctx, values, positionals);
  } catch (error) {
    const r = renderError(error);
    io.stderr.write(r.text);
    return r.exit;
  }
}
