// A `llama-server` stand-in the sidecar can supervise (`--supervise --engine-binary <wrapper>`):
// it accepts the command line the llama.cpp launcher builds (`-m <file> --host --port -c -b -ub
// -t -np 1 --no-cont-batching --metrics ...`), prints a `--help` text, and serves the simulator's
// llama.cpp-native API. The model file's bytes seed the tokens; `#sim` lines in it (or
// ENGINE_SIM_FAULTS) select faults (model-file.ts). Exits 70 on a crash fault, like a dying engine.
import { readFileSync } from 'node:fs';
import { parseSimModel } from './model-file.js';
import { startEngineSim } from './server.js';

const HELP = `usage: llama-server [options]   (engine-sim shim)

-m,    --model FNAME            model path
       --host HOST              ip address to listen (default: 127.0.0.1)
       --port PORT              port to listen (default: 8080)
-c,    --ctx-size N             size of the prompt context (default: 4096)
-b,    --batch-size N           logical maximum batch size (default: 2048)
-ub,   --ubatch-size N          physical maximum batch size (default: 512)
-t,    --threads N              number of threads
-tb,   --threads-batch N        number of threads for batch processing
-np,   --parallel N             number of parallel sequences to decode (default: 1)
-cb,   --cont-batching          enable continuous batching
-nocb, --no-cont-batching       disable continuous batching
       --metrics                enable prometheus compatible metrics endpoint
       --slots                  enable slots monitoring endpoint
       --no-webui               disable the Web UI
`;

/** Flags that take a value; everything else starting with `-` is a switch. */
const VALUED = new Set([
  '-m',
  '--model',
  '--host',
  '--port',
  '-c',
  '--ctx-size',
  '-b',
  '--batch-size',
  '-ub',
  '--ubatch-size',
  '-t',
  '--threads',
  '-tb',
  '--threads-batch',
  '-np',
  '--parallel',
  '--cache-ram',
  '--cache-reuse',
  '--fit',
  '-fa',
  '--flash-attn',
]);

function parse(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (VALUED.has(a)) out.set(a, argv[++i] ?? '');
    else out.set(a, 'true');
  }
  return out;
}

const args = parse(process.argv.slice(2));
if (args.has('--help') || args.has('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const modelPath = args.get('-m') ?? args.get('--model');
if (!modelPath) {
  process.stderr.write('error: -m <model file> is required\n');
  process.exit(1);
}
let content: Buffer;
try {
  content = readFileSync(modelPath);
} catch (err) {
  process.stderr.write(`error: failed to load model '${modelPath}': ${String(err)}\n`);
  process.exit(1);
}
const model = parseSimModel(modelPath, content);
if (model.exitAtStart) {
  process.stderr.write(`error: failed to load model '${modelPath}' (sim exit-at-start)\n`);
  process.exit(1);
}
const num = (...keys: string[]): number | undefined => {
  for (const k of keys) if (args.has(k)) return Number(args.get(k));
  return undefined;
};
const sim = await startEngineSim({
  config: {
    seed: model.seed,
    model: model.name,
    modelPath,
    ctx: num('-c', '--ctx-size') ?? 4096,
    slots: num('-np', '--parallel') ?? 1,
    startupMs: model.startupMs ?? 0,
    // Quick enough for many restarts in a test, slow enough that a cancel lands mid-decode.
    itlMs: 5,
  },
  faults: model.faults,
  host: args.get('--host') ?? '127.0.0.1',
  port: num('--port') ?? 8080,
  exitOnCrash: true,
});
process.stdout.write(`engine-sim shim: ${model.name} listening on ${sim.url}\n`);
if (model.crashAfterMs !== undefined) setTimeout(() => sim.crash(), model.crashAfterMs).unref();
const stop = (): void => void sim.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
